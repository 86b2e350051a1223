#!/usr/bin/env bash
# The CI example end to end on your machine, against a running Tropism (`./mvnw spring-boot:run`):
#   TROPISM_URL=http://localhost:8080 TROPISM_ADMIN_KEY=$(cat data/admin.key) examples/ci/try-locally.sh
# Sets up what a team would set up once (a team key, the 1-digit arithmetic task, an exact-match gold judge, a small
# policy pretrained until it is right about half the time, and the suite "arith-gate"), then runs the pipeline's
# steps as github-actions.yml and gitlab-ci.yml do: upload the spec, evaluate it, promote it. Twice: with
# reward-spec.json (exact match: passes, exit 0, promoted) and with hackable-spec.json (rewards length: fails, exit 1,
# promotion refused with exit 1). Reports land in reports/. Takes 2 to 4 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/../.."
URL=${TROPISM_URL:-http://localhost:8080}
ADMIN=${TROPISM_ADMIN_KEY:?set TROPISM_ADMIN_KEY to the admin key (data/admin.key)}

call() { # METHOD PATH [JSON] with the key in $AUTH
  curl -sS --fail-with-body -X "$1" -H "Authorization: Bearer $AUTH" -H 'Content-Type: application/json' \
    "$URL$2" ${3:+--data "$3"}
}

AUTH=$ADMIN
TEAM=$(call POST /v1/teams '{"name":"ci-example"}' | jq -r .id)
KEY=$(call POST "/v1/teams/$TEAM/api-keys" '{"name":"ci"}' | jq -r .key)
AUTH=$KEY
SETS=$(call POST /v1/datasets/generate '{"generator":"arithmetic","name":"add1","digits":1,"reverse_answer":true,
  "corpus_size":70,"train_prompts":70,"eval_prompts":30,"seed":3}')
CORPUS=$(jq -r '.data[0].id' <<<"$SETS"); TRAIN=$(jq -r '.data[1].id' <<<"$SETS"); HELD_OUT=$(jq -r '.data[2].id' <<<"$SETS")
GOLD=$(call POST /v1/reward-specs "$(jq -c '.name = "gold-exact"' examples/ci/reward-spec.json)" | jq -r .id)
POLICY=$(call POST /v1/models "{\"name\":\"add1\",\"recipe\":\"tiny-gpt\",\"dataset\":\"$CORPUS\",
  \"eval_dataset\":\"$TRAIN\",\"reward_spec\":\"$GOLD\",\"seed\":3,\"hyperparameters\":{\"n_layer\":2,\"n_embd\":64,
  \"n_head\":4,\"block_size\":12,\"max_steps\":300,\"batch_size\":32,\"learning_rate\":0.003,\"warmup_steps\":10,
  \"eval_interval\":10,\"eval_max_new_tokens\":4,\"stop_at_accuracy\":0.5}}" | jq -r .id)
echo "policy $POLICY pretraining..."
until [ "$(call GET "/v1/models/$POLICY" | jq -r .status)" = ready ]; do sleep 5; done
call POST /v1/eval-suites "{\"name\":\"arith-gate\",\"prompts\":\"$TRAIN\",\"gold_reward_spec\":\"$GOLD\",
  \"policy\":\"$POLICY\",\"n_samples\":16,\"max_prompts\":32,\"max_new_tokens\":4,\"temperature\":0.8,
  \"thresholds\":{\"min_gold_correlation\":0.5,\"max_overoptimization\":0.02,\"max_p95_latency_ms\":50}}" \
  | jq -c '{suite: .id, name, version, thresholds}'

export TROPISM_URL=$URL TROPISM_API_KEY=$KEY
for SPEC_FILE in examples/ci/reward-spec.json examples/ci/hackable-spec.json; do
  echo "== pipeline for $SPEC_FILE"
  SPEC=$(tools/tropism-eval upload-spec "$SPEC_FILE")
  base=reports/$(basename "$SPEC_FILE" .json)
  set +e
  tools/tropism-eval run --suite arith-gate --candidate "$SPEC" --junit "$base.xml" --markdown "$base.md" --timeout 600
  echo "tropism-eval run: exit $?"
  tools/tropism-eval promote arith@production "$SPEC" --require-suite arith-gate
  echo "tropism-eval promote: exit $?"
  set -e
done
