// Phase 1 of the deployment: everything but the Event Grid subscriptions.
// Phase 2 (subscriptions.bicep) runs after the code is deployed, because a subscription to an
// Azure Function destination is validated against the deployed function.
//
//   az deployment group create -g <rg> -f infra/main.bicep -p @infra/main.parameters.json
//
// Tables, containers and the topic name come from routing.json, generated from the code by
// `python -m infra.generate` (a unit test fails when it is stale).

targetScope = 'resourceGroup'

@description('Name of this environment (an azd environment name: 1-64 letters, digits, hyphens, underscores, dots or parentheses; e.g. demo, dev, prod). Resource names use its first 20 characters, lower-cased, with the other characters as hyphens.')
@minLength(1)
@maxLength(64)
param environmentName string

@description('Azure region; must offer Flex Consumption (`az functionapp list-flexconsumption-locations`).')
param location string = resourceGroup().location

@description('Upper bound of function app instances (Flex Consumption allows up to 1000).')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Memory per function app instance.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Concurrent HTTP requests per instance.')
@minValue(1)
@maxValue(1000)
param httpPerInstanceConcurrency int = 16

@description('Always-ready HTTP instances: no cold starts, but billed while idle. 0 = scale to zero.')
@minValue(0)
param alwaysReadyHttpInstances int = 0

@description('Optional object id of a person or CI principal to grant table/blob data access.')
param operatorPrincipalId string = ''

@description('What operatorPrincipalId is: a role assignment whose type does not match fails (UnmatchedPrincipalType); azd passes AZURE_PRINCIPAL_TYPE.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param operatorPrincipalType string = 'User'

var infraData = loadJsonContent('routing.json')
var deploymentContainerName = 'app-package'
var deadletterContainerName = 'deadletter'
// Every container a subscription dead-letters to (once each): the topic may write each of them.
var deadletterContainerNames = union(map(infraData.subscriptions, route => route.deadLetterContainer), [])

// Resource names allow neither '_', '.' nor parentheses, and an azd environment name may hold
// them and run to 64 characters: 'func-<20>-<13>' and 'log-<20>-<13>' stay within every limit.
var envName = take(replace(replace(replace(replace(toLower(environmentName), '_', '-'), '.', '-'), '(', '-'), ')', '-'), 20)
// Lower-case, deterministic per subscription/resource group/environment, 13 characters. From the
// whole name, so that names differing past envName's 20 characters get their own resources (for
// a name of at most 20 letters, digits and hyphens, the same token as when envName was that name).
var resourceToken = toLower(uniqueString(subscription().id, resourceGroup().id, toLower(environmentName)))
// Storage account names: 3-24 lower-case letters and digits ('st' + 8 + 13 = 23).
var shortName = take(replace(envName, '-', ''), 8)
var tags = {
  'azd-env-name': environmentName
  app: 'hotel-reservations'
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    logAnalyticsName: 'log-${envName}-${resourceToken}'
    appInsightsName: 'appi-${envName}-${resourceToken}'
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    location: location
    storageAccountName: 'st${shortName}${resourceToken}'
    tableNames: infraData.tables
    containerNames: infraData.containers
    deploymentContainerName: deploymentContainerName
    tags: tags
  }
}

module eventGrid 'modules/eventgrid.bicep' = {
  name: 'eventgrid'
  params: {
    location: location
    // Topic names are part of a DNS name: hotel-events-<token>.
    topicName: '${infraData.topic}-${resourceToken}'
    tags: tags
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  params: {
    location: location
    planName: 'plan-${envName}-${resourceToken}'
    functionAppName: 'func-${envName}-${resourceToken}'
    storageAccountName: storage.outputs.storageAccountName
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    blobEndpoint: storage.outputs.blobEndpoint
    tableEndpoint: storage.outputs.tableEndpoint
    queueEndpoint: storage.outputs.queueEndpoint
    topicEndpoint: eventGrid.outputs.topicEndpoint
    appInsightsConnectionString: monitoring.outputs.appInsightsConnectionString
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    httpPerInstanceConcurrency: httpPerInstanceConcurrency
    alwaysReadyHttpInstances: alwaysReadyHttpInstances
    tags: tags
  }
}

module roles 'modules/roles.bicep' = {
  name: 'roles'
  params: {
    functionAppPrincipalId: functionApp.outputs.functionAppPrincipalId
    topicPrincipalId: eventGrid.outputs.topicPrincipalId
    storageAccountName: storage.outputs.storageAccountName
    topicName: eventGrid.outputs.topicName
    appInsightsName: monitoring.outputs.appInsightsName
    deadletterContainerNames: deadletterContainerNames
    operatorPrincipalId: operatorPrincipalId
    operatorPrincipalType: operatorPrincipalType
  }
}

// Upper-case names: azd exports outputs as environment variables for hooks (azure.yaml), and
// infra/deploy.sh reads them with `az deployment group show`.
output FUNCTION_APP_NAME string = functionApp.outputs.functionAppName
output FUNCTION_APP_HOSTNAME string = functionApp.outputs.defaultHostName
output EVENTGRID_TOPIC_NAME string = eventGrid.outputs.topicName
output EVENTGRID_TOPIC_ENDPOINT string = eventGrid.outputs.topicEndpoint
output STORAGE_ACCOUNT_NAME string = storage.outputs.storageAccountName
output STORAGE_TABLE_ENDPOINT string = storage.outputs.tableEndpoint
output STORAGE_BLOB_ENDPOINT string = storage.outputs.blobEndpoint
output DEADLETTER_CONTAINER string = deadletterContainerName
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.appInsightsName
