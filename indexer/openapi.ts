/**
 * OpenAPI 3.1 description of the indexer's REST views (served at /openapi.json; a client can be
 * generated from it). Integers that can exceed 2^53 (ids, points, wei) are decimal strings.
 * GraphQL (/graphql) describes itself by introspection.
 */
const int = { type: "string", pattern: "^[0-9]+$", description: "decimal integer" } as const;
const nullableInt = { oneOf: [int, { type: "null" }] } as const;
const hex = { type: "string", pattern: "^0x[0-9a-fA-F]*$" } as const;
const nullableHex = { oneOf: [hex, { type: "null" }] } as const;
const error = {
  description: "error",
  content: {
    "application/json": {
      schema: {
        type: "object",
        required: ["error"],
        properties: {
          error: {
            type: "object",
            required: ["code", "message"],
            properties: { code: { type: "string" }, message: { type: "string" } },
          },
        },
      },
    },
  },
} as const;
const ok = (schema: unknown) => ({ description: "ok", content: { "application/json": { schema } } });
const idParam = (name: string) => ({ name, in: "path", required: true, schema: int });

export const OPENAPI = {
  openapi: "3.1.0",
  info: { title: "depin-kit network API", version: "1.0.0", description: "Served by `npm run indexer` (docs/indexer.md)." },
  paths: {
    "/v1/network": {
      get: {
        operationId: "getNetwork",
        summary:
          "Devices by state, readings/s, batches by stage, proofs, points and emission per epoch, data-credit burns, keepers' health",
        responses: { 200: ok({ $ref: "#/components/schemas/Network" }) },
      },
    },
    "/v1/devices": {
      get: {
        operationId: "listDevices",
        summary: "Devices, searchable by id or 0x owner/account/maker prefix, filterable by status; with points over all epochs",
        parameters: [
          { name: "q", in: "query", schema: { type: "string", pattern: "^[0-9a-fA-Fx]{0,66}$" } },
          {
            name: "status",
            in: "query",
            schema: { type: "string", enum: ["provisioned", "bound", "active", "suspended", "decommissioned"] },
          },
          { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 1000, default: 100 } },
          { name: "offset", in: "query", schema: { type: "integer", minimum: 0, default: 0 } },
        ],
        responses: {
          200: ok({
            type: "object",
            properties: { total: { type: "integer" }, devices: { type: "array", items: { type: "object" } } },
          }),
          400: error,
        },
      },
    },
    "/v1/devices/{id}/readings": {
      get: {
        operationId: "getDeviceReadings",
        summary:
          "A device's recent readings (keepers' store) with their fate: stored, batched, committed, invalidated, earned or not-earned (reason)",
        parameters: [
          idParam("id"),
          { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 200, default: 20 } },
        ],
        responses: {
          200: ok({
            type: "object",
            properties: {
              deviceId: int,
              readings: {
                type: "array",
                items: {
                  type: "object",
                  properties: {
                    seq: int,
                    timestamp: int,
                    value: int,
                    receivedAt: { type: "integer", description: "unix ms" },
                    batchId: nullableInt,
                    fate: { type: "string", enum: ["stored", "batched", "committed", "invalidated", "earned", "not-earned"] },
                    reason: { oneOf: [{ type: "string" }, { type: "null" }] },
                  },
                },
              },
            },
          }),
          400: error,
          503: error,
        },
      },
    },
    "/v1/batches": {
      get: {
        operationId: "listBatches",
        summary: "Committed batches, newest first, with stage and chain times",
        parameters: [
          { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 1000, default: 100 } },
          { name: "before", in: "query", schema: int },
        ],
        responses: {
          200: ok({ type: "object", properties: { batches: { type: "array", items: { type: "object" } } } }),
          400: error,
        },
      },
    },
    "/v1/devices/{id}": {
      get: {
        operationId: "getDevice",
        parameters: [idParam("id")],
        responses: { 200: ok({ $ref: "#/components/schemas/Device" }), 400: error, 404: error },
      },
    },
    "/v1/batches/{id}": {
      get: {
        operationId: "getBatch",
        summary: "A batch's pipeline times: first reading, sealed, committed, final, proven, settled",
        parameters: [idParam("id")],
        responses: { 200: ok({ $ref: "#/components/schemas/Batch" }), 400: error, 404: error },
      },
    },
    "/v1/epochs": {
      get: {
        operationId: "listEpochs",
        responses: { 200: ok({ type: "array", items: { $ref: "#/components/schemas/Epoch" } }) },
      },
    },
    "/v1/epochs/{id}": {
      get: {
        operationId: "getEpoch",
        parameters: [idParam("id")],
        responses: { 200: ok({ $ref: "#/components/schemas/Epoch" }), 400: error, 404: error },
      },
    },
    "/v1/proposals": {
      get: {
        operationId: "listProposals",
        summary: "Governor proposals with their votes, and the timelock's operations",
        responses: { 200: ok({ $ref: "#/components/schemas/Proposals" }) },
      },
    },
    "/v1/receipts/{device}/{epoch}": {
      get: {
        operationId: "getReceipt",
        summary: "The device's reward receipt for a closed epoch (format: docs/receipts.md)",
        parameters: [idParam("device"), idParam("epoch")],
        responses: {
          200: ok({ type: "object", description: "depin-reward-receipt-1 (docs/receipts.md)" }),
          400: error,
          404: error,
          409: { ...error, description: "epoch not closed" },
          503: { ...error, description: "the indexer has no keepers' store" },
        },
      },
    },
  },
  components: {
    schemas: {
      Network: {
        type: "object",
        properties: {
          chainId: { type: "integer" },
          devices: { type: "object", additionalProperties: { type: "integer" }, description: "count by status" },
          readings: {
            oneOf: [
              { type: "null" },
              { type: "object", properties: { total: { type: "integer" }, perSecond: { type: ["number", "null"] } } },
            ],
          },
          batches: {
            type: "object",
            properties: {
              committed: { type: "integer" },
              invalidated: { type: "integer" },
              settled: { type: "integer" },
              sealedNotCommitted: { type: ["integer", "null"] },
            },
          },
          proofs: { type: "object", additionalProperties: { type: "integer" } },
          epochs: {
            type: "array",
            items: {
              type: "object",
              properties: { epoch: int, points: int, emission: nullableInt, closed: { type: "boolean" } },
            },
          },
          dataCredits: { type: "object", properties: { burns: { type: "integer" }, burned: int } },
          keepers: {
            type: "array",
            description: "one entry per --keeper-status URL",
            items: {
              type: "object",
              properties: {
                url: { type: "string" },
                name: { type: ["string", "null"], description: "the keeper's name from its /status" },
                ok: { type: "boolean", description: "reachable and its last tick succeeded" },
                state: { type: "string", description: "ok | starting | rpc-down | error | unreachable | http-<code>" },
                lastTickAt: { type: ["integer", "null"], description: "unix ms" },
                lastError: { type: ["string", "null"] },
                status: { description: "the keeper's /status document" },
              },
            },
          },
          stallSeconds: { type: "integer" },
          stalls: {
            type: "array",
            description: "pipeline stages waiting longer than stallSeconds, and keepers down or failing",
            items: {
              type: "object",
              properties: {
                stage: { type: "string", enum: ["commit", "settle", "close", "keeper"] },
                waitingSeconds: { type: ["integer", "null"] },
                batchId: int,
                epoch: int,
                keeper: { type: "string" },
                message: { type: "string" },
              },
            },
          },
        },
      },
      Device: {
        type: "object",
        properties: {
          id: int,
          status: { type: "string", enum: ["provisioned", "bound", "active", "suspended", "decommissioned"] },
          owner: nullableHex,
          maker: nullableHex,
          keyId: nullableHex,
          account: nullableHex,
          documentUri: { type: ["string", "null"], description: "DID document / location reference" },
          did: { type: "string" },
          lastReading: {
            oneOf: [
              { type: "null" },
              {
                type: "object",
                properties: { seq: int, timestamp: int, value: int, receivedAt: { type: "integer" }, batchId: nullableInt },
              },
            ],
          },
          epochs: {
            type: "array",
            items: {
              type: "object",
              properties: {
                epoch: int,
                points: int,
                payout: nullableInt,
                claimable: nullableInt,
                claimed: { type: "boolean" },
                claimedAmount: nullableInt,
                claimTx: nullableHex,
              },
            },
          },
        },
      },
      Batch: {
        type: "object",
        properties: {
          batchId: int,
          epoch: int,
          root: int,
          leafCount: { type: "integer" },
          stage: { type: "string", enum: ["sealed", "committed", "proven", "settled", "invalidated"] },
          times: {
            type: "object",
            description: "…Ms fields: unix milliseconds (keepers' store); others: unix seconds (chain)",
            properties: {
              firstReadingMs: { type: ["integer", "null"] },
              sealedMs: { type: ["integer", "null"] },
              committed: nullableInt,
              final: nullableInt,
              provenMs: { type: ["integer", "null"] },
              settled: nullableInt,
            },
          },
          commitTx: nullableHex,
          settleTx: nullableHex,
          proofStatus: { type: ["string", "null"] },
          proofError: { type: ["string", "null"] },
          points: nullableInt,
        },
      },
      Epoch: {
        type: "object",
        properties: {
          id: int,
          settledPoints: int,
          batches: { type: "integer" },
          closed: { type: "boolean" },
          totalPoints: nullableInt,
          emission: nullableInt,
          minted: nullableInt,
          closeTx: nullableHex,
          claimed: int,
        },
      },
      TimelockOperation: {
        type: "object",
        properties: {
          id: hex,
          calls: { type: "integer" },
          stage: { type: "string", enum: ["scheduled", "executed", "canceled"] },
          state: { type: "string", enum: ["waiting", "ready", "executed", "canceled"], description: "live, in chain time" },
          readyAt: int,
          scheduledTx: hex,
          executedTx: nullableHex,
        },
      },
      Proposals: {
        type: "object",
        properties: {
          proposals: {
            type: "array",
            items: {
              type: "object",
              properties: {
                id: int,
                proposer: hex,
                description: { type: "string" },
                stage: { type: "string", enum: ["created", "queued", "executed", "canceled"] },
                forVotes: int,
                againstVotes: int,
                abstainVotes: int,
                eta: nullableInt,
                votes: {
                  type: "array",
                  items: { type: "object", properties: { voter: hex, support: { type: "integer" }, weight: int } },
                },
                timelockOperation: {
                  oneOf: [{ type: "null" }, { $ref: "#/components/schemas/TimelockOperation" }],
                  description: "scheduled in the proposal's queue transaction",
                },
              },
            },
          },
          timelock: { type: "array", items: { $ref: "#/components/schemas/TimelockOperation" } },
        },
      },
    },
  },
} as const;
