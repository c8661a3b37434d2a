// GENERATED from mta-sts.schema.json by `npm run schema`; edit the JSON file, not this one.
import type { JSONSchemaType } from 'ajv';
import type { RawConfig } from './raw-config.ts';

export const configSchema: JSONSchemaType<RawConfig> = {
  "$schema": "http://json-schema.org/draft-07/schema#",
  "$id": "urn:mta-sts-swa:config:v1",
  "title": "MTA-STS for Exchange Online on Azure Static Web Apps",
  "description": "mta-sts.config.yaml: the mail domains to protect with MTA-STS (RFC 8461), the policy to publish and where it is hosted.",
  "type": "object",
  "properties": {
    "domains": {
      "title": "Mail domains",
      "description": "The mail domains to protect, e.g. contoso.com. Each gets https://mta-sts.<domain>/.well-known/mta-sts.txt as a custom domain of the app: at most 2 per Static Web App on Free, 5 on Standard, 500 per Function App (hosting.kind).",
      "type": "array",
      "minItems": 1,
      "items": {
        "title": "Mail domain",
        "description": "A domain that receives mail through Exchange Online, e.g. contoso.com (not *.onmicrosoft.com, no internationalized names).",
        "type": "string"
      },
      "examples": [
        [
          "contoso.com"
        ]
      ]
    },
    "policy": {
      "title": "MTA-STS policy",
      "description": "What sending servers are told: the mode, the MX hosts they may deliver to, and how long to remember it.",
      "type": "object",
      "properties": {
        "mode": {
          "title": "Policy mode",
          "description": "testing: only report TLS failures; enforce: refuse delivery without valid TLS to a listed MX; none: withdraw the policy.",
          "type": "string",
          "enum": [
            "testing",
            "enforce",
            "none"
          ]
        },
        "mx": {
          "title": "MX host patterns",
          "description": "Host names your MX records point to; a leading *. matches exactly one label. Exchange Online: *.mail.protection.outlook.com.",
          "type": "array",
          "nullable": true,
          "default": [
            "*.mail.protection.outlook.com"
          ],
          "items": {
            "title": "MX host pattern",
            "description": "A host name, optionally starting with *. to match any one label, e.g. *.mail.protection.outlook.com.",
            "type": "string"
          }
        },
        "max_age": {
          "title": "Policy lifetime",
          "description": "How long senders cache the policy: whole seconds or a duration like 7d or 2w (s, m, h, d, w); at most 31557600 (one year).",
          "anyOf": [
            {
              "title": "Seconds",
              "description": "Whole seconds, 0 to 31557600.",
              "type": "integer",
              "minimum": 0,
              "maximum": 31557600
            },
            {
              "title": "Duration",
              "description": "A number followed by s, m, h, d or w, e.g. 7d or 2w.",
              "type": "string",
              "pattern": "^[0-9]+[smhdw]$"
            }
          ],
          "examples": [
            604800,
            "7d",
            "2w"
          ]
        },
        "id": {
          "title": "Policy id",
          "description": "Optional: 1 to 32 letters or digits. Leave it out so the id is derived from the policy and changes whenever the policy does.",
          "type": "string",
          "nullable": true,
          "pattern": "^[A-Za-z0-9]{1,32}$"
        }
      },
      "required": [
        "mode",
        "max_age"
      ],
      "additionalProperties": false
    },
    "tlsrpt": {
      "title": "TLS reporting (RFC 8460)",
      "description": "Optional: where sending servers send daily TLS-RPT reports; published as _smtp._tls.<domain>.",
      "type": "object",
      "nullable": true,
      "properties": {
        "rua": {
          "title": "Report addresses",
          "description": "mailto: or https: URIs that receive the reports, e.g. mailto:tlsrpt@contoso.com.",
          "type": "array",
          "minItems": 1,
          "items": {
            "title": "Report address",
            "description": "A mailto: or https: URI without spaces, commas or semicolons.",
            "type": "string",
            "pattern": "^(mailto:[^\\s,;!@]+@[^\\s,;!@]+|https://[^\\s,;]+)$"
          }
        }
      },
      "required": [
        "rua"
      ],
      "additionalProperties": false
    },
    "site": {
      "title": "The policy host's page",
      "description": "Optional: what the page at https://mta-sts.<domain>/ shows besides the policy.",
      "type": "object",
      "nullable": true,
      "properties": {
        "contact": {
          "title": "Contact",
          "description": "Who to write to about this domain's mail security, shown on the page: an e-mail address (postmaster@contoso.com) or an https: URL.",
          "type": "string",
          "nullable": true,
          "pattern": "^([^\\s@<>\"]+@[^\\s@<>\"]+\\.[^\\s@<>\"]+|https://[^\\s<>\"]+)$"
        }
      },
      "additionalProperties": false
    },
    "hosting": {
      "title": "Azure hosting",
      "description": "The Azure app that serves the policy: a Static Web App (up to 5 mail domains per app) or a Function App (up to 500).",
      "type": "object",
      "nullable": true,
      "default": {},
      "properties": {
        "kind": {
          "title": "Hosting kind",
          "description": "static-web-app: an Azure Static Web App, 2 custom domains per app on Free, 5 on Standard; function-app: an Azure Function App whose one HTTP function serves every mta-sts.<domain>, 500 custom domains per app.",
          "type": "string",
          "nullable": true,
          "enum": [
            "static-web-app",
            "function-app"
          ],
          "default": "static-web-app"
        },
        "plan": {
          "title": "Static Web Apps plan",
          "description": "Static Web App only: free allows 2 custom domains per app, standard allows 5; every mail domain needs one (mta-sts.<domain>). More domains: kind function-app (500 per app).",
          "type": "string",
          "nullable": true,
          "enum": [
            "free",
            "standard"
          ],
          "default": "standard"
        },
        "default_hostname": {
          "title": "Default host name",
          "description": "Optional: the app's *.azurestaticapps.net name (Static Web App) or <app>.azurewebsites.net name (Function App), used as the target of the mta-sts.<domain> CNAME records.",
          "type": "string",
          "nullable": true,
          "pattern": "^([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\\.)+(azurestaticapps|azurewebsites)\\.net$"
        },
        "app": {
          "title": "App name",
          "description": "The Static Web App's or Function App's resource name, for `mta-sts azure bind` and `publish-dns` (flag --app overrides it).",
          "type": "string",
          "nullable": true,
          "pattern": "^[A-Za-z0-9]([A-Za-z0-9-]{0,38}[A-Za-z0-9])?$"
        },
        "resource_group": {
          "title": "Resource group of the app",
          "description": "The Azure resource group holding the app (flag --resource-group overrides it).",
          "type": "string",
          "nullable": true,
          "pattern": "^[-\\w.()]{0,89}[-\\w()]$"
        },
        "subscription": {
          "title": "Azure subscription ID",
          "description": "The subscription ID (a GUID) of the app and the DNS zones (flag --subscription overrides it).",
          "type": "string",
          "nullable": true,
          "pattern": "^[0-9A-Fa-f]{8}-([0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}$"
        },
        "dns_resource_group": {
          "title": "Resource group of the Azure DNS zones",
          "description": "Optional: the resource group of the Azure DNS zones of your domains; set, the CNAME and TXT records are written there. Left out, the records are printed for you to publish (flag --dns-resource-group overrides it).",
          "type": "string",
          "nullable": true,
          "pattern": "^[-\\w.()]{0,89}[-\\w()]$"
        }
      },
      "additionalProperties": false
    },
    "rollout": {
      "title": "Rollout evidence (testing to enforce)",
      "description": "Optional: how much TLS-RPT evidence mta-sts promote needs before it switches policy.mode from testing to enforce.",
      "type": "object",
      "nullable": true,
      "properties": {
        "window_days": {
          "title": "Evidence window",
          "description": "Days before today (or --now) whose reports count as evidence.",
          "type": "integer",
          "nullable": true,
          "minimum": 1,
          "maximum": 366,
          "default": 14
        },
        "min_report_days": {
          "title": "Days with reports",
          "description": "Each domain needs reports on at least this many distinct days (report start date, UTC) of the window.",
          "type": "integer",
          "nullable": true,
          "minimum": 1,
          "maximum": 366,
          "default": 10
        },
        "min_organizations": {
          "title": "Reporting organisations",
          "description": "Each domain needs reports from at least this many organisations (e.g. Google, Microsoft) in the window.",
          "type": "integer",
          "nullable": true,
          "minimum": 1,
          "maximum": 1000,
          "default": 2
        },
        "min_sessions": {
          "title": "Successful sessions",
          "description": "Each domain needs at least this many successful sts sessions in the window.",
          "type": "integer",
          "nullable": true,
          "minimum": 0,
          "maximum": 1000000000,
          "default": 100
        },
        "recent_days": {
          "title": "Recent days",
          "description": "A failure that would bounce mail under enforce (starttls-not-supported, certificate-*, validation-failure, sts-policy-invalid, sts-webpki-invalid) in this many last days blocks the promotion.",
          "type": "integer",
          "nullable": true,
          "minimum": 1,
          "maximum": 366,
          "default": 7
        },
        "max_fetch_error_days": {
          "title": "Days with fetch errors",
          "description": "sts-policy-fetch-error on this many days of the window or more means the policy host is failing; it blocks the promotion.",
          "type": "integer",
          "nullable": true,
          "minimum": 1,
          "maximum": 366,
          "default": 3
        }
      },
      "additionalProperties": false
    }
  },
  "required": [
    "domains",
    "policy"
  ],
  "additionalProperties": false
};
