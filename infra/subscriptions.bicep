// Phase 2 of the deployment: one Event Grid subscription per entry of routing.json (generated
// from handlers/routing.py by `python -m infra.generate`), each delivering to the Event
// Grid-triggered function of the same name. Run it after the code is deployed: Azure validates
// an AzureFunction destination against the deployed function.
//
//   az deployment group create -g <rg> -f infra/subscriptions.bicep \
//     -p functionAppName=<app> topicName=<topic> storageAccountName=<account>
//
// Delivery: CloudEvents 1.0, one event per request (maxEventsPerBatch 1: a failure redelivers
// only that event), retries and TTL from the routing table, and dead letters written by the
// topic's managed identity to the `deadletter` container (role granted in phase 1).

targetScope = 'resourceGroup'

@description('The function app deployed by main.bicep (output FUNCTION_APP_NAME).')
param functionAppName string

@description('The Event Grid topic deployed by main.bicep (output EVENTGRID_TOPIC_NAME).')
param topicName string

@description('The storage account deployed by main.bicep (output STORAGE_ACCOUNT_NAME).')
param storageAccountName string

var routing = loadJsonContent('routing.json')

resource functionApp 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource topic 'Microsoft.EventGrid/topics@2022-06-15' existing = {
  name: topicName
}

resource subscriptions 'Microsoft.EventGrid/topics/eventSubscriptions@2022-06-15' = [
  for route in routing.subscriptions: {
    parent: topic
    name: route.name
    properties: {
      destination: {
        endpointType: 'AzureFunction'
        properties: {
          resourceId: '${functionApp.id}/functions/${route.functionName}'
          maxEventsPerBatch: 1
          preferredBatchSizeInKilobytes: 64
        }
      }
      eventDeliverySchema: 'CloudEventSchemaV1_0'
      filter: {
        includedEventTypes: route.includedEventTypes
      }
      retryPolicy: {
        maxDeliveryAttempts: route.maxDeliveryAttempts
        eventTimeToLiveInMinutes: route.eventTimeToLiveInMinutes
      }
      deadLetterWithResourceIdentity: {
        identity: {
          type: 'SystemAssigned'
        }
        deadLetterDestination: {
          endpointType: 'StorageBlob'
          properties: {
            resourceId: storage.id
            blobContainerName: route.deadLetterContainer
          }
        }
      }
    }
  }
]

output subscriptionNames array = [for route in routing.subscriptions: route.name]
