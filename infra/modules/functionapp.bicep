// Flex Consumption plan + Linux function app (Python 3.11), system-assigned identity, no keys or
// connection strings in the app settings: every Azure SDK client and the Functions host itself
// authenticate with the managed identity (roles in roles.bicep).
// Flex Consumption does not support the classic settings FUNCTIONS_WORKER_RUNTIME,
// FUNCTIONS_EXTENSION_VERSION, WEBSITE_RUN_FROM_PACKAGE, SCM_DO_BUILD_DURING_DEPLOYMENT and
// ENABLE_ORYX_BUILD: the runtime lives in functionAppConfig and remote build is asked for at
// deploy time (`az functionapp deployment source config-zip --build-remote true`).

@description('Azure region (must offer Flex Consumption: `az functionapp list-flexconsumption-locations`).')
param location string

param planName string
param functionAppName string

@description('Storage account used by the host (AzureWebJobsStorage) and by the app.')
param storageAccountName string

@description('https://<account>.blob.core.windows.net/<container> holding deployment packages.')
param deploymentContainerUrl string

param blobEndpoint string
param tableEndpoint string
param queueEndpoint string

@description('Event Grid topic endpoint (.../api/events).')
param topicEndpoint string

param appInsightsConnectionString string

@description('Upper bound of instances the app scales out to (Flex Consumption allows up to 1000).')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Memory per instance.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Concurrent HTTP requests per instance (the Flex default for Python is 1).')
@minValue(1)
@maxValue(1000)
param httpPerInstanceConcurrency int = 16

@description('Always-ready HTTP instances (billed even when idle); 0 = scale to zero, cold starts.')
@minValue(0)
param alwaysReadyHttpInstances int = 0

@description('NCRONTAB schedule of the outbox relay timer (each run wakes an instance).')
param outboxRelaySchedule string = '0 */5 * * * *'

@description('NCRONTAB schedule of the dead letter reprocessor timer (each run wakes an instance).')
param deadLetterReprocessSchedule string = '0 0 * * * *'

param tags object = {}

var alwaysReady = alwaysReadyHttpInstances > 0 ? [
  {
    name: 'http'
    instanceCount: alwaysReadyHttpInstances
  }
] : []

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: functionAppName
  location: location
  // azd finds the app to deploy service `api` to by this tag.
  tags: union(tags, {
    'azd-service-name': 'api'
  })
  kind: 'functionapp,linux'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      appSettings: [
        {
          name: 'AzureWebJobsStorage__accountName'
          value: storageAccountName
        }
        {
          name: 'STORAGE_ACCOUNT_NAME'
          value: storageAccountName
        }
        {
          name: 'STORAGE_BLOB_ENDPOINT'
          value: blobEndpoint
        }
        {
          name: 'STORAGE_TABLE_ENDPOINT'
          value: tableEndpoint
        }
        {
          name: 'STORAGE_QUEUE_ENDPOINT'
          value: queueEndpoint
        }
        {
          name: 'EVENTGRID_TOPIC_ENDPOINT'
          value: topicEndpoint
        }
        {
          name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
          value: appInsightsConnectionString
        }
        {
          // Keyless ingestion with the system-assigned identity (Monitoring Metrics Publisher).
          name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
          value: 'Authorization=AAD'
        }
        {
          // host.json sets telemetryMode OpenTelemetry; the Python worker then needs this too.
          name: 'PYTHON_ENABLE_OPENTELEMETRY'
          value: 'true'
        }
        {
          // The outbox relay only catches what a crash left unpublished: every 5 minutes.
          name: 'OUTBOX_RELAY_SCHEDULE'
          value: outboxRelaySchedule
        }
        {
          // Event Grid dead-letters only after 24 h of retries: hourly is plenty.
          name: 'DEAD_LETTER_REPROCESS_SCHEDULE'
          value: deadLetterReprocessSchedule
        }
      ]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'SystemAssignedIdentity'
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
        alwaysReady: alwaysReady
        triggers: {
          http: {
            perInstanceConcurrency: httpPerInstanceConcurrency
          }
        }
      }
      runtime: {
        name: 'python'
        version: '3.11'
      }
    }
  }
}

output functionAppName string = functionApp.name
output functionAppId string = functionApp.id
output functionAppPrincipalId string = functionApp.identity.principalId
output defaultHostName string = functionApp.properties.defaultHostName
