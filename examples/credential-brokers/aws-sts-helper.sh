#!/bin/sh
# A credential helper for `gait gate eval --credential-broker command`: gait writes the broker
# request (JSON, with request_digest) on stdin and reads one JSON object from stdout. This one
# prints AWS STS's own answer unchanged; gait recognises it as an `aws_sts` receipt and maps it
# onto the broker response (docs/broker.md, "Provider receipts").
#
#   GAIT_RELEASE_ROLE_ARN=arn:aws:iam::123456789012:role/release-deployer \
#   GAIT_CREDENTIAL_COMMAND_ALLOWLIST="$PWD/examples/credential-brokers/aws-sts-helper.sh" \
#   gait gate eval --policy gait.policy.yaml --intent intent.json --json \
#     --credential-broker command --credential-command examples/credential-brokers/aws-sts-helper.sh
set -eu
cat >/dev/null   # the request; a helper that serves several references would read it
exec aws sts assume-role \
  --role-arn "${GAIT_RELEASE_ROLE_ARN:?set GAIT_RELEASE_ROLE_ARN}" \
  --role-session-name gait-release \
  --duration-seconds 900 \
  --output json
