#!/usr/bin/env bash
# Deploy the hotel reservation system to Azure in two phases.
#
#   phase 1  az deployment group create -f infra/main.bicep     (storage, topic, app, roles)
#   code     zip (respecting .funcignore) + remote build on Flex Consumption
#   phase 2  az deployment group create -f infra/subscriptions.bicep  (Event Grid subscriptions;
#            they need the deployed functions, so they come last)
#
# Usage: infra/deploy.sh -g <resource-group> [-l <location>] [-n <environment-name>] [--dry-run]
# Run `infra/deploy.sh --help` for every option. azure.yaml's hooks run it too: --providers-only
# before provisioning, --subscriptions-only after deploying (azd hooks need their own `az login`).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly ROOT

RESOURCE_GROUP="${AZURE_RESOURCE_GROUP:-}"
LOCATION="${AZURE_LOCATION:-westeurope}"
NAME="${AZURE_ENV_NAME:-hotel}"
SUBSCRIPTION="${AZURE_SUBSCRIPTION_ID:-}"
PRINCIPAL_TYPE="${AZURE_PRINCIPAL_TYPE:-User}"
DRY_RUN=0
SUBSCRIPTIONS_ONLY=0
PROVIDERS_ONLY=0
PACKAGE_ONLY=""
PYTHON="${PYTHON:-python3}"
[[ -x $ROOT/.venv/bin/python ]] && PYTHON="$ROOT/.venv/bin/python"
DEPLOY_ATTEMPTS=5
# config-zip can wait forever on a Flex Consumption host that never turns healthy: bound each
# attempt so that the retries run. Overridable for the tests.
DEPLOY_TIMEOUT_SECONDS="${DEPLOY_TIMEOUT_SECONDS:-900}"
DEPLOY_RETRY_DELAY_SECONDS="${DEPLOY_RETRY_DELAY_SECONDS:-30}"
FUNCTIONS_TIMEOUT_SECONDS=600
# Flex Consumption runs on Microsoft.App, which a subscription may not have registered (a Bicep
# deployment registers only the providers of the resource types it declares).
REQUIRED_PROVIDERS=(Microsoft.App)

usage() {
  cat <<'EOF'
Usage: infra/deploy.sh -g <resource-group> [options]

Deploys the app to Azure: infrastructure (infra/main.bicep), code (zip + remote build on the
Flex Consumption plan), then the Event Grid subscriptions (infra/subscriptions.bicep).

Options:
  -g, --resource-group NAME  resource group to create or reuse (env AZURE_RESOURCE_GROUP)
  -l, --location REGION      Azure region with Flex Consumption (default: westeurope;
                             env AZURE_LOCATION; list: az functionapp list-flexconsumption-locations)
  -n, --name NAME            environment name (default: hotel; env AZURE_ENV_NAME): 1-64
                             letters, digits, '-', '_', '.', '(' or ')', as azd allows; resource
                             names use its first 20 characters, lower-cased, the others as '-'
  -s, --subscription ID      subscription to deploy to (env AZURE_SUBSCRIPTION_ID; default: the
                             Azure CLI's default subscription)
      --principal-type TYPE  what the signed-in principal is: User, Group or ServicePrincipal (env
                             AZURE_PRINCIPAL_TYPE; default: User; a service principal login is
                             detected)
      --dry-run              print every command instead of running it (needs no az, no login)
      --providers-only       only register the resource providers Flex Consumption needs
                             (Microsoft.App; the azd preprovision hook)
      --subscriptions-only   phase 2 only (used by the azd postdeploy hook); reads
                             FUNCTION_APP_NAME, EVENTGRID_TOPIC_NAME, STORAGE_ACCOUNT_NAME from
                             the environment, else from the phase 1 deployment's outputs
      --package-only FILE    only build the deployment zip into FILE (needs only zip)
  -h, --help                 show this help
EOF
}

die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

note() {
  printf '==> %s\n' "$*" >&2
}

# Quote one word for display: as is when it is plainly safe, else in single quotes.
shell_word() {
  if [[ $1 =~ ^[A-Za-z0-9_@%+=:,./-]+$ ]]; then
    printf '%s' "$1"
  else
    printf "'%s'" "${1//\'/\'\\\'\'}"
  fi
}

# Run a command, or in a dry run print it, prefixed with '+', on the script's standard output
# (fd 3, so that commands inside $(...) are printed too).
run() {
  if ((DRY_RUN)); then
    local word line='+'
    for word in "$@"; do
      line+=" $(shell_word "$word")"
    done
    printf '%s\n' "$line" >&3
    return 0
  fi
  "$@"
}

# Print the output of a command; in a dry run print the command and return a <placeholder>.
output_of() {
  local placeholder=$1
  shift
  if ((DRY_RUN)); then
    run "$@"
    printf '<%s>' "$placeholder"
    return 0
  fi
  "$@"
}

parse_args() {
  while (($#)); do
    case "$1" in
      -g | --resource-group)
        (($# >= 2)) || die "$1 needs a value"
        RESOURCE_GROUP=$2
        shift 2
        ;;
      -l | --location)
        (($# >= 2)) || die "$1 needs a value"
        LOCATION=$2
        shift 2
        ;;
      -n | --name)
        (($# >= 2)) || die "$1 needs a value"
        NAME=$2
        shift 2
        ;;
      -s | --subscription)
        (($# >= 2)) || die "$1 needs a value"
        SUBSCRIPTION=$2
        shift 2
        ;;
      --principal-type)
        (($# >= 2)) || die "$1 needs a value"
        PRINCIPAL_TYPE=$2
        shift 2
        ;;
      --dry-run)
        DRY_RUN=1
        shift
        ;;
      --providers-only)
        PROVIDERS_ONLY=1
        shift
        ;;
      --subscriptions-only)
        SUBSCRIPTIONS_ONLY=1
        shift
        ;;
      --package-only)
        (($# >= 2)) || die "$1 needs a file name"
        PACKAGE_ONLY=$2
        shift 2
        ;;
      -h | --help)
        usage
        exit 0
        ;;
      *)
        usage >&2
        die "unknown argument: $1"
        ;;
    esac
  done
  [[ $PRINCIPAL_TYPE =~ ^(User|Group|ServicePrincipal)$ ]] ||
    die "--principal-type must be User, Group or ServicePrincipal: '$PRINCIPAL_TYPE'"
  if [[ -z $PACKAGE_ONLY ]] && ((!PROVIDERS_ONLY)); then
    [[ -n $RESOURCE_GROUP ]] || die "missing --resource-group (see --help)"
    # azd's rule for environment names (those of ARM deployments).
    [[ $NAME =~ ^[A-Za-z0-9()_.-]{1,64}$ ]] ||
      die "--name must be 1-64 letters, digits, '-', '_', '.', '(' or ')': '$NAME'"
    [[ -n $LOCATION ]] || die "missing --location"
  fi
}

# Deployment names allow 64 characters: keep room for the longest suffix, '-subscriptions'.
deployment_name() {
  printf '%s-%s' "${NAME:0:50}" "$1"
}

require_tool() {
  local tool=$1 hint=$2
  if command -v "$tool" >/dev/null 2>&1; then
    return 0
  fi
  if ((DRY_RUN)); then
    note "note: '$tool' is not installed; a real run needs it ($hint)"
    return 0
  fi
  die "'$tool' is not installed: $hint"
}

check_prerequisites() {
  require_tool az "install the Azure CLI 2.60+: https://learn.microsoft.com/cli/azure/install-azure-cli"
  # Phase 2 and the provider check deploy no code: no zip needed for them.
  if ((!SUBSCRIPTIONS_ONLY && !PROVIDERS_ONLY)); then
    require_tool zip "install zip (e.g. apt-get install zip, brew install zip)"
    require_tool timeout "install GNU coreutils (macOS: brew install coreutils, and put its gnubin first on PATH)"
  fi
  if ((!PROVIDERS_ONLY)); then
    require_tool python3 "install Python 3 (it reads infra/routing.json)"
  fi
  if ((DRY_RUN)); then
    run az account show --output none
  else
    # `azd auth login` does not log the Azure CLI in: azd's hooks need `az login` as well.
    az account show --output none >/dev/null 2>&1 ||
      die "not logged in to the Azure CLI: run 'az login' ('azd auth login' alone is not enough)"
  fi
  # Without this, az uses its own default subscription, which need not be azd's.
  if [[ -n $SUBSCRIPTION ]]; then
    run az account set --subscription "$SUBSCRIPTION"
  fi
  ((DRY_RUN)) ||
    note "subscription: $(az account show --query '[name, id]' --output tsv | tr '\t' ' ')"
}

register_providers() {
  local provider state
  for provider in "${REQUIRED_PROVIDERS[@]}"; do
    state=$(output_of "registration state of $provider" az provider show \
      --namespace "$provider" --query registrationState --output tsv)
    if [[ $state == Registered ]]; then
      note "resource provider $provider: registered"
      continue
    fi
    note "registering resource provider $provider (needed by Flex Consumption; takes a few minutes)"
    run az provider register --namespace "$provider" --wait
  done
}

# zip -x patterns for each .funcignore line (gitignore-like: a name matches at any depth).
funcignore_patterns() {
  local line
  # Never ship local settings or git metadata, whatever .funcignore says.
  printf '%s\n' 'local.settings.json' '*/local.settings.json' '.git/*' '.venv/*'
  [[ -f $ROOT/.funcignore ]] || return 0
  while IFS= read -r line || [[ -n $line ]]; do
    line=${line%%#*}
    line=${line%"${line##*[![:space:]]}"}
    line=${line#"${line%%[![:space:]]*}"}
    [[ -z $line ]] && continue
    if [[ $line == '!'* ]]; then
      note "warning: .funcignore negation '$line' is not supported; ignored"
      continue
    fi
    line=${line#/}
    line=${line%/}
    printf '%s\n' "$line" "$line/*" "*/$line" "*/$line/*"
  done <"$ROOT/.funcignore"
}

build_package() {
  local zip_path=$1
  local -a excludes=()
  local pattern
  while IFS= read -r pattern; do
    excludes+=("$pattern")
  done < <(funcignore_patterns)
  # Exclude the archive itself when it is written inside the project.
  if [[ $zip_path == "$ROOT"/* ]]; then
    excludes+=("${zip_path#"$ROOT"/}")
  fi
  if ((!DRY_RUN)); then
    mkdir -p "$(dirname "$zip_path")"
    rm -f "$zip_path"
    [[ -f $ROOT/host.json && -f $ROOT/requirements.txt ]] ||
      die "$ROOT must hold host.json and requirements.txt"
  fi
  (
    cd "$ROOT"
    run zip -q -r "$zip_path" . -x "${excludes[@]}"
  )
}

deployment_output() {
  local deployment=$1 output=$2
  output_of "$output" az deployment group show \
    --resource-group "$RESOURCE_GROUP" --name "$deployment" \
    --query "properties.outputs.${output}.value" --output tsv
}

# A service principal login (CI) is a ServicePrincipal, whatever AZURE_PRINCIPAL_TYPE says: a
# role assignment whose principal type does not match fails with UnmatchedPrincipalType.
detect_principal_type() {
  ((DRY_RUN)) && return 0
  if [[ $(az account show --query user.type --output tsv 2>/dev/null || true) == servicePrincipal ]]; then
    PRINCIPAL_TYPE=ServicePrincipal
  fi
}

# The object id of the signed-in principal (a user, or the service principal of a CI login), to
# grant it data access.
signed_in_principal() {
  local app_id
  if ((DRY_RUN)); then
    output_of "signed-in principal id" az ad signed-in-user show --query id --output tsv
    return 0
  fi
  if [[ $PRINCIPAL_TYPE == ServicePrincipal ]]; then
    app_id=$(az account show --query user.name --output tsv)
    az ad sp show --id "$app_id" --query id --output tsv 2>/dev/null || true
    return 0
  fi
  az ad signed-in-user show --query id --output tsv 2>/dev/null || true
}

# Phase 1: resource group and every resource but the subscriptions.
deploy_infrastructure() {
  local operator_id
  note "phase 1: infrastructure (infra/main.bicep) in $RESOURCE_GROUP ($LOCATION)"
  run az group create --name "$RESOURCE_GROUP" --location "$LOCATION" \
    --tags "azd-env-name=$NAME" --output none
  # Grant the signed-in principal data access (to seed the catalog and read dead letters).
  detect_principal_type
  operator_id=$(signed_in_principal)
  [[ -n $operator_id ]] || note "no signed-in principal id found: no data access is granted"
  run az deployment group create \
    --resource-group "$RESOURCE_GROUP" \
    --name "$(deployment_name infra)" \
    --template-file infra/main.bicep \
    --parameters @infra/main.parameters.json \
    --parameters "environmentName=$NAME" "location=$LOCATION" \
    "operatorPrincipalId=$operator_id" "operatorPrincipalType=$PRINCIPAL_TYPE" \
    --output none
}

# Remote build on Flex Consumption: config-zip with --build-remote true. The first upload can
# fail while the new Storage Blob Data Owner assignment propagates: retry.
deploy_code() {
  local app=$1 zip_path=$2 attempt=1
  note "code: building the package and deploying it to $app (remote build)"
  build_package "$zip_path"
  while :; do
    if run timeout --kill-after=30 "$DEPLOY_TIMEOUT_SECONDS" \
      az functionapp deployment source config-zip \
      --resource-group "$RESOURCE_GROUP" --name "$app" \
      --src "$zip_path" --build-remote true --timeout "$DEPLOY_TIMEOUT_SECONDS"; then
      return 0
    fi
    ((attempt < DEPLOY_ATTEMPTS)) || die "code deployment to $app failed $attempt times"
    note "deployment failed or took over ${DEPLOY_TIMEOUT_SECONDS}s (role assignments can take minutes to apply); retrying in ${DEPLOY_RETRY_DELAY_SECONDS}s"
    attempt=$((attempt + 1))
    sleep "$DEPLOY_RETRY_DELAY_SECONDS"
  done
}

# Subscriptions are validated against the deployed functions: wait until all are indexed.
wait_for_functions() {
  local app=$1 deadline expected missing name
  local -a deployed=()
  expected=$(output_of "functions from infra/routing.json" "$PYTHON" -c \
    'import json,sys; print(" ".join(s["functionName"] for s in json.load(open(sys.argv[1]))["subscriptions"]))' \
    "$ROOT/infra/routing.json")
  if ((DRY_RUN)); then
    run az functionapp function list --resource-group "$RESOURCE_GROUP" --name "$app" \
      --query '[].name' --output tsv
    return 0
  fi
  note "waiting for functions: $expected"
  deadline=$((SECONDS + FUNCTIONS_TIMEOUT_SECONDS))
  while :; do
    deployed=()
    while IFS= read -r name; do
      if [[ -n $name ]]; then
        deployed+=("${name##*/}")
      fi
    done < <(az functionapp function list --resource-group "$RESOURCE_GROUP" --name "$app" \
      --query '[].name' --output tsv 2>/dev/null || true)
    missing=""
    for name in $expected; do
      [[ " ${deployed[*]-} " == *" $name "* ]] || missing+=" $name"
    done
    [[ -z $missing ]] && return 0
    ((SECONDS < deadline)) ||
      die "functions not found in $app after ${FUNCTIONS_TIMEOUT_SECONDS}s:$missing (check the deployment logs)"
    sleep 15
  done
}

# Phase 2: one Event Grid subscription per routing.json entry.
deploy_subscriptions() {
  local app=$1 topic=$2 account=$3
  note "phase 2: Event Grid subscriptions (infra/subscriptions.bicep) on $topic"
  run az deployment group create \
    --resource-group "$RESOURCE_GROUP" \
    --name "$(deployment_name subscriptions)" \
    --template-file infra/subscriptions.bicep \
    --parameters "functionAppName=$app" "topicName=$topic" "storageAccountName=$account" \
    --output none
}

print_summary() {
  local app=$1 host=$2 title="Deployed."
  ((DRY_RUN)) && title="Dry run finished; a real run ends with:"
  cat <<EOF

$title
  Function app: https://$host
  Health check: curl https://$host/api/health
  Function key: az functionapp keys list --resource-group $RESOURCE_GROUP --name $app --query functionKeys.default --output tsv
  Book a room:  KEY=\$(az functionapp keys list -g $RESOURCE_GROUP -n $app --query functionKeys.default -o tsv)
                curl -i -X POST https://$host/api/reservations -H "x-functions-key: \$KEY" \\
                  -H 'Content-Type: application/json' -d '{"hotelId": "grand-lisbon", ...}'
                (full request in infra/README.md)
  Tear down:    az group delete --name $RESOURCE_GROUP --yes --no-wait
EOF
}

main() {
  exec 3>&1
  parse_args "$@"
  cd "$ROOT"

  if [[ -n $PACKAGE_ONLY ]]; then
    require_tool zip "install zip (e.g. apt-get install zip, brew install zip)"
    [[ $PACKAGE_ONLY == /* ]] || PACKAGE_ONLY="$PWD/$PACKAGE_ONLY"
    build_package "$PACKAGE_ONLY"
    ((DRY_RUN)) || note "wrote $PACKAGE_ONLY"
    return 0
  fi

  ((DRY_RUN)) && note "dry run: printing the commands, running none of them"
  check_prerequisites
  if ((PROVIDERS_ONLY)); then
    register_providers
    return 0
  fi
  # A stale routing.json would deploy subscriptions the code does not expect.
  run "$PYTHON" -m infra.generate --check

  local app topic account host work_dir
  if ((SUBSCRIPTIONS_ONLY)); then
    app=${FUNCTION_APP_NAME:-$(deployment_output "$(deployment_name infra)" FUNCTION_APP_NAME)}
    topic=${EVENTGRID_TOPIC_NAME:-$(deployment_output "$(deployment_name infra)" EVENTGRID_TOPIC_NAME)}
    account=${STORAGE_ACCOUNT_NAME:-$(deployment_output "$(deployment_name infra)" STORAGE_ACCOUNT_NAME)}
    wait_for_functions "$app"
    deploy_subscriptions "$app" "$topic" "$account"
    return 0
  fi

  register_providers
  deploy_infrastructure
  app=$(deployment_output "$(deployment_name infra)" FUNCTION_APP_NAME)
  topic=$(deployment_output "$(deployment_name infra)" EVENTGRID_TOPIC_NAME)
  account=$(deployment_output "$(deployment_name infra)" STORAGE_ACCOUNT_NAME)
  host=$(deployment_output "$(deployment_name infra)" FUNCTION_APP_HOSTNAME)

  if ((DRY_RUN)); then
    work_dir="<temporary directory>"
  else
    work_dir=$(mktemp -d)
    # shellcheck disable=SC2064  # expand now: work_dir is local
    trap "rm -rf '$work_dir'" EXIT
  fi
  deploy_code "$app" "$work_dir/app.zip"
  wait_for_functions "$app"
  deploy_subscriptions "$app" "$topic" "$account"
  print_summary "$app" "$host"
}

main "$@"
