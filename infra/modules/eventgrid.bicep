// The custom topic all reservation events go through (CloudEvents 1.0 in and out).
// Local auth (access keys, SAS) is off: publishers need a Microsoft Entra token and the
// EventGrid Data Sender role. The system-assigned identity writes dead letters to storage.

@description('Azure region.')
param location string

@description('Topic name; it becomes part of the endpoint host name, so make it unique.')
@minLength(3)
@maxLength(50)
param topicName string

param tags object = {}

resource topic 'Microsoft.EventGrid/topics@2022-06-15' = {
  name: topicName
  location: location
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    inputSchema: 'CloudEventSchemaV1_0'
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
  }
}

output topicName string = topic.name
output topicId string = topic.id
// e.g. https://<name>.<region>-1.eventgrid.azure.net/api/events (what EventGridPublisherClient
// expects).
output topicEndpoint string = topic.properties.endpoint
output topicPrincipalId string = topic.identity.principalId
