"""Azure deployment: Bicep, deploy script, and the generator of the data the Bicep reads."""
