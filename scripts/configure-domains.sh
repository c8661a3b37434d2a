#!/usr/bin/env bash
# Binds mta-sts.<domain> to the Static Web App, optionally manages the Azure DNS records, and publishes the
# _mta-sts TXT only after the new policy is live (RFC 8461 §8.1). Called by azure-pipelines.yml and
# .github/workflows/deploy.yml; safe to run by hand and to re-run.
#
# usage: scripts/configure-domains.sh bind|wait-live|publish-txt
#   bind         bind mta-sts.<domain> for every domain (skips hosts already bound; retries the transient
#                "CNAME Record is invalid"); with DNS_RESOURCE_GROUP, creates the mta-sts CNAME first
#   wait-live    poll https://mta-sts.<domain>/.well-known/mta-sts.txt until it serves the built policy bytes
#   publish-txt  for each domain whose new policy is live: replace the _mta-sts and _smtp._tls TXT record
#                sets in Azure DNS (DNS_RESOURCE_GROUP set), or print the records to publish by hand
#
# environment:
#   SWA_NAME, SWA_RESOURCE_GROUP   the Static Web App (bind)
#   DNS_RESOURCE_GROUP             optional: resource group of the Azure DNS zones named after each domain
#   RECORDS_JSON                   optional: file with `mta-sts records --json` output (default: run it)
#   MTA_STS_CONFIG                 config file for `records` (default mta-sts.config.yaml)
#   POLICY_FILE                    built policy (default home/.well-known/mta-sts.txt)
#   POLICY_URL_TEMPLATE            default https://mta-sts.{domain}/.well-known/mta-sts.txt
#   BIND_ATTEMPTS (5), RETRY_DELAY_SECONDS (30, doubled after each transient failure)
#   WAIT_ATTEMPTS (30), WAIT_DELAY_SECONDS (20), FETCH_TIMEOUT_SECONDS (30)
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"

: "${POLICY_FILE:=home/.well-known/mta-sts.txt}"
: "${POLICY_URL_TEMPLATE:=https://mta-sts.{domain}/.well-known/mta-sts.txt}"
: "${BIND_ATTEMPTS:=5}"
: "${RETRY_DELAY_SECONDS:=30}"
: "${WAIT_ATTEMPTS:=30}"
: "${WAIT_DELAY_SECONDS:=20}"
: "${FETCH_TIMEOUT_SECONDS:=30}"
: "${DNS_RESOURCE_GROUP:=}"

for setting in BIND_ATTEMPTS RETRY_DELAY_SECONDS WAIT_ATTEMPTS WAIT_DELAY_SECONDS FETCH_TIMEOUT_SECONDS; do
  [[ "${!setting}" =~ ^[0-9]+$ ]] || {
    echo "error: $setting must be a whole number (got \"${!setting}\")" >&2
    exit 2
  }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

require_env() {
  local name
  for name in "$@"; do
    [[ -n "${!name:-}" ]] || die "$name is not set (the Static Web App's name and resource group are needed to bind domains)"
  done
}

# Writes the records as TSV (domain, name, type, ttl, value, zone-file line) to $work/records.tsv, validating
# the JSON's shape.
# Node parses the JSON: it is always present here, and jq is not.
load_records() {
  local json=$work/records.json
  if [[ -n "${RECORDS_JSON:-}" ]]; then
    [[ -r "$RECORDS_JSON" ]] || die "RECORDS_JSON=$RECORDS_JSON cannot be read"
    cp "$RECORDS_JSON" "$json"
  else
    node bin/mta-sts.js records --json --config "${MTA_STS_CONFIG:-mta-sts.config.yaml}" >"$json" ||
      die "'mta-sts records --json' failed; fix the config errors above"
  fi
  node --import tsx "$repo_root/scripts/records-tsv.ts" "$json" >"$work/records.tsv" ||
    die "the DNS records from ${RECORDS_JSON:-mta-sts records --json} are not valid (see above)"
  cut -f1 "$work/records.tsv" | awk '!seen[$0]++' >"$work/domains"
  [[ -s "$work/domains" ]] || die "no domains in the records; add them under domains: in the config"
}

# Prints the value of the record of TYPE named NAME, or nothing.
record_value() {
  awk -F'\t' -v n="$1" -v t="$2" '$2 == n && $3 == t { print $5; exit }' "$work/records.tsv"
}

record_ttl() {
  awk -F'\t' -v n="$1" -v t="$2" '$2 == n && $3 == t { print $4; exit }' "$work/records.tsv"
}

# Runs az, keeping its stderr in $work/az.err so failures can be reported with the domain they concern.
az_run() {
  az "$@" 2>"$work/az.err" </dev/null
}

az_error() {
  tr '\n' ' ' <"$work/az.err" | sed 's/ *$//'
}

policy_url() {
  local template=$POLICY_URL_TEMPLATE
  printf '%s' "${template//\{domain\}/$1}"
}

# Fetches the live policy of domain $1 once; returns 0 when it serves exactly the bytes of POLICY_FILE.
# On failure, $work/live.why says what was seen. Redirects are never followed (RFC 8461 §3.3).
policy_is_live() {
  local domain=$1 url code rc=0
  url=$(policy_url "$domain")
  code=$(curl --silent --show-error --max-redirs 0 --max-time "$FETCH_TIMEOUT_SECONDS" --max-filesize 65536 \
    --output "$work/live.body" --write-out '%{http_code} %{redirect_url}' "$url" 2>"$work/curl.err") || rc=$?
  if ((rc != 0)); then
    case $rc in
      6) echo "mta-sts.$domain does not resolve: create the CNAME mta-sts.$domain -> the app's default host name" ;;
      35 | 51 | 58 | 60) echo "TLS failed: certificate not issued yet for mta-sts.$domain, or not valid ($(tr -d '\n' <"$work/curl.err"))" ;;
      *) echo "fetch failed: $(tr -d '\n' <"$work/curl.err")" ;;
    esac >"$work/live.why"
    return 1
  fi
  case ${code%% *} in
    200) ;;
    3??)
      echo "HTTP ${code%% *} redirect to ${code#* }; MTA-STS senders never follow redirects" >"$work/live.why"
      return 1
      ;;
    *)
      echo "HTTP ${code%% *} from $url" >"$work/live.why"
      return 1
      ;;
  esac
  if ! cmp -s "$work/live.body" "$POLICY_FILE"; then
    echo "$url serves other bytes than $POLICY_FILE (the previous policy, still propagating?)" >"$work/live.why"
    return 1
  fi
}

bound_status() {
  # Prints the status of hostname $1 when the app already has it, or nothing.
  awk -F'\t' -v h="$1" 'tolower($1) == tolower(h) { print ($2 == "" ? "unknown" : $2); exit }' "$work/bound.tsv"
}

set_cname() {
  local domain=$1 target configured ttl
  az_run staticwebapp show -n "$SWA_NAME" -g "$SWA_RESOURCE_GROUP" --query defaultHostname -o tsv >"$work/default-host" ||
    die "cannot read the default host name of Static Web App $SWA_NAME: $(az_error)"
  target=$(tr -d '[:space:]' <"$work/default-host")
  configured=$(record_value "mta-sts.$domain" CNAME)
  if [[ -n "$configured" && "${configured%.}" != "$target" ]]; then
    echo "warning: hosting.default_hostname is $configured but $SWA_NAME's host is $target; using $target (fix mta-sts.config.yaml)" >&2
  fi
  ttl=$(record_ttl "mta-sts.$domain" CNAME)
  az_run network dns record-set cname set-record -g "$DNS_RESOURCE_GROUP" -z "$domain" -n mta-sts -c "$target" --ttl "${ttl:-3600}" >/dev/null ||
    die "$domain: creating CNAME mta-sts.$domain -> $target in Azure DNS (resource group $DNS_RESOURCE_GROUP) failed: $(az_error)"
  echo "$domain: CNAME mta-sts.$domain -> $target"
}

bind_host() {
  local domain=$1 host="mta-sts.$1" attempt delay=$RETRY_DELAY_SECONDS
  for ((attempt = 1; ; attempt++)); do
    if az_run staticwebapp hostname set -n "$SWA_NAME" -g "$SWA_RESOURCE_GROUP" --hostname "$host" >/dev/null; then
      echo "$domain: bound $host to $SWA_NAME"
      return 0
    fi
    # Azure often rejects a correct, fresh CNAME for a few minutes (Azure/static-web-apps#202, #911).
    if ! grep -qi 'CNAME Record is invalid' "$work/az.err"; then
      die "$domain: binding $host to $SWA_NAME failed: $(az_error)"
    fi
    if ((attempt >= BIND_ATTEMPTS)); then
      die "$domain: binding $host still fails after $attempt attempts with \"CNAME Record is invalid\"; check that mta-sts.$domain is a CNAME to the app's default host name (dig +short CNAME $host), then re-run. Last az error: $(az_error)"
    fi
    echo "$domain: \"CNAME Record is invalid\" (attempt $attempt of $BIND_ATTEMPTS); retrying in ${delay}s" >&2
    sleep "$delay"
    delay=$((delay * 2))
  done
}

cmd_bind() {
  require_env SWA_NAME SWA_RESOURCE_GROUP
  load_records
  az_run staticwebapp hostname list -n "$SWA_NAME" -g "$SWA_RESOURCE_GROUP" --query '[].[name, status]' -o tsv >"$work/bound.tsv" ||
    die "cannot list the custom domains of Static Web App $SWA_NAME in $SWA_RESOURCE_GROUP: $(az_error)"
  local domain status
  while read -r domain; do
    status=$(bound_status "mta-sts.$domain")
    if [[ -n "$status" && "${status,,}" != failed ]]; then
      echo "$domain: mta-sts.$domain already bound (status $status)"
      continue
    fi
    if [[ -n "$DNS_RESOURCE_GROUP" ]]; then
      set_cname "$domain"
    fi
    bind_host "$domain"
  done <"$work/domains"
  if [[ -z "$DNS_RESOURCE_GROUP" ]]; then
    echo "DNS is not automated (DNS_RESOURCE_GROUP is not set): each mta-sts.<domain> must be a CNAME to the app's default host name."
  fi
}

cmd_wait_live() {
  load_records
  [[ -r "$POLICY_FILE" ]] || die "$POLICY_FILE is missing; run npm run build"
  local attempt domain pending
  for ((attempt = 1; ; attempt++)); do
    pending=()
    while read -r domain; do
      if policy_is_live "$domain"; then
        echo "$domain: new policy is live at $(policy_url "$domain")"
      else
        pending+=("$domain")
        echo "$domain: not live yet: $(cat "$work/live.why")"
      fi
    done <"$work/domains"
    ((${#pending[@]} == 0)) && return 0
    if ((attempt >= WAIT_ATTEMPTS)); then
      die "the new policy is not live after $attempt attempts for: ${pending[*]} (see the reasons above); the _mta-sts TXT id must not change until it is (RFC 8461 §8.1)"
    fi
    # Only the pending domains are polled again.
    printf '%s\n' "${pending[@]}" >"$work/domains"
    sleep "$WAIT_DELAY_SECONDS"
  done
}

# Reads the current values of TXT record set $2 in zone $1 into $work/txt.current (one per line).
# Returns 1 when the set does not exist.
read_txt_set() {
  if ! az_run network dns record-set txt show -g "$DNS_RESOURCE_GROUP" -z "$1" -n "$2" -o json >"$work/txt.json"; then
    # Only a missing record set counts as absent; a missing zone or resource group is an error.
    grep -qE '\(NotFound\)|does not exist' "$work/az.err" && return 1
    die "$1: reading TXT $2.$1 from Azure DNS (resource group $DNS_RESOURCE_GROUP) failed: $(az_error)"
  fi
  node --import tsx "$repo_root/scripts/records-tsv.ts" --txt-values "$work/txt.json" >"$work/txt.current"
}

# Replaces TXT record set $2 in zone $1 with the single value $3: never add-record onto an existing set,
# because two v=STSv1 records mean no policy at all (RFC 8461 §3.1).
replace_txt() {
  local zone=$1 rel=$2 value=$3 ttl=$4 fqdn="$2.$1"
  if read_txt_set "$zone" "$rel"; then
    if [[ "$(cat "$work/txt.current")" == "$value" ]]; then
      echo "$zone: TXT $fqdn already \"$value\""
      return 0
    fi
    az_run network dns record-set txt delete -g "$DNS_RESOURCE_GROUP" -z "$zone" -n "$rel" --yes >/dev/null ||
      die "$zone: deleting the old TXT $fqdn failed: $(az_error)"
  fi
  az_run network dns record-set txt create -g "$DNS_RESOURCE_GROUP" -z "$zone" -n "$rel" --ttl "$ttl" >/dev/null ||
    die "$zone: creating TXT $fqdn failed: $(az_error)"
  az_run network dns record-set txt add-record -g "$DNS_RESOURCE_GROUP" -z "$zone" -n "$rel" -v "$value" >/dev/null ||
    die "$zone: setting TXT $fqdn to \"$value\" failed: $(az_error)"
  echo "$zone: TXT $fqdn = \"$value\""
}

cmd_publish_txt() {
  load_records
  [[ -r "$POLICY_FILE" ]] || die "$POLICY_FILE is missing; run npm run build"
  local domain name type ttl value zone_line withheld=()
  if [[ -z "$DNS_RESOURCE_GROUP" ]]; then
    echo "DNS is not automated (DNS_RESOURCE_GROUP is not set). Publish these records at your DNS host;"
    echo "replace any existing _mta-sts TXT record, never add a second one:"
  fi
  while read -r domain; do
    if ! policy_is_live "$domain"; then
      withheld+=("$domain")
      echo "$domain: TXT withheld: the new policy is not live ($(cat "$work/live.why")); RFC 8461 §8.1 changes the id only after it is"
      if [[ -z "$DNS_RESOURCE_GROUP" ]]; then
        zone_line=$(awk -F'\t' -v n="mta-sts.$domain" '$2 == n && $3 == "CNAME" { print $6; exit }' "$work/records.tsv")
        printf '  %s\n' "${zone_line:-mta-sts.$domain. 3600 IN CNAME <the app default host name, e.g. x.azurestaticapps.net>.}"
      fi
      continue
    fi
    while IFS=$'\t' read -r _ name type ttl value zone_line; do
      if [[ -z "$DNS_RESOURCE_GROUP" ]]; then
        printf '  %s\n' "$zone_line"
      elif [[ $type == TXT ]]; then
        replace_txt "$domain" "${name%."$domain"}" "$value" "$ttl"
      fi
    done < <(awk -F'\t' -v d="$domain" '$1 == d' "$work/records.tsv")
  done <"$work/domains"
  if ((${#withheld[@]} > 0)); then
    die "TXT records withheld for: ${withheld[*]}; run wait-live, then publish-txt again"
  fi
}

case "${1:-}" in
  bind) cmd_bind ;;
  wait-live) cmd_wait_live ;;
  publish-txt) cmd_publish_txt ;;
  *)
    echo "usage: $0 bind|wait-live|publish-txt (see the comments at the top of this file)" >&2
    exit 2
    ;;
esac
