// Every RBAC grant the deployment needs; the ids are Azure built-in role definition ids (Microsoft
// Learn, "Azure built-in roles"), the same in every tenant. Names are deterministic guid()s of
// scope, principal and role, so redeploying is idempotent.

@description('Object id of the function app system-assigned identity.')
param functionAppPrincipalId string

@description('Object id of the Event Grid topic system-assigned identity.')
param topicPrincipalId string

param storageAccountName string
param topicName string
param appInsightsName string

@description('Containers the topic writes dead letters to (each distinct container a subscription names).')
param deadletterContainerNames array

@description('Optional: object id of a person or CI principal to grant data access (seeding, reading dead letters).')
param operatorPrincipalId string = ''

@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param operatorPrincipalType string = 'User'

var roles = {
  eventGridDataSender: 'd5a91429-5739-47e2-a06b-3470a27159e7'
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

// The function app: host storage (blobs, queues; tables for some triggers) and the app's data.
var appStorageRoles = [
  roles.storageBlobDataOwner
  roles.storageTableDataContributor
  roles.storageQueueDataContributor
]

// An operator (optional): seed the catalog, read reservations and dead letters.
var operatorStorageRoles = empty(operatorPrincipalId) ? [] : [
  roles.storageBlobDataContributor
  roles.storageTableDataContributor
]

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = {
  parent: storage
  name: 'default'
}

resource deadletterContainers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = [
  for containerName in deadletterContainerNames: {
    parent: blobService
    name: containerName
  }
]

resource topic 'Microsoft.EventGrid/topics@2022-06-15' existing = {
  name: topicName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource appStorage 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in appStorageRoles: {
    name: guid(storage.id, functionAppPrincipalId, roleId)
    scope: storage
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
      principalId: functionAppPrincipalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource appTopicSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(topic.id, functionAppPrincipalId, roles.eventGridDataSender)
  scope: topic
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.eventGridDataSender)
    principalId: functionAppPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource appTelemetry 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, functionAppPrincipalId, roles.monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: functionAppPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Least privilege for the topic: only the containers its subscriptions dead-letter to.
resource topicDeadLetterWriters 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (containerName, i) in deadletterContainerNames: {
    name: guid(deadletterContainers[i].id, topicPrincipalId, roles.storageBlobDataContributor)
    scope: deadletterContainers[i]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
      principalId: topicPrincipalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource operatorStorage 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in operatorStorageRoles: {
    name: guid(storage.id, operatorPrincipalId, roleId)
    scope: storage
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
      principalId: operatorPrincipalId
      principalType: operatorPrincipalType
    }
  }
]
