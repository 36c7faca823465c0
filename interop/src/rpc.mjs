// The homeserver's gRPC client API, loaded from the project's own proto files (never copied), and its
// errors as common.proto describes them: a gRPC status whose details carry one google.rpc.ErrorInfo.
import grpc from "@grpc/grpc-js";
import protoLoader from "@grpc/proto-loader";
import protobuf from "protobufjs";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const PROTO_ROOT = fileURLToPath(new URL("../../proto/src/main/proto", import.meta.url));
const PROTO_FILES = [
  "homeserver/auth/v1/auth.proto",
  "homeserver/directory/v1/directory.proto",
  "homeserver/keypackage/v1/keypackage.proto",
  "homeserver/delivery/v1/delivery.proto",
];
const DEADLINE_MS = 30_000;
// A queue entry can be 4 MiB (delivery.proto QUEUES).
const MAX_MESSAGE_BYTES = 8 * 1024 * 1024;

const api = grpc.loadPackageDefinition(protoLoader.loadSync(PROTO_FILES, {
  includeDirs: [PROTO_ROOT], longs: String, enums: String, defaults: true, oneofs: true,
})).homeserver;

const statusTypes = protobuf.parse(`syntax = "proto3"; package google.rpc;
  message Any { string type_url = 1; bytes value = 2; }
  message Status { int32 code = 1; string message = 2; repeated Any details = 3; }
  message ErrorInfo { string reason = 1; string domain = 2; map<string, string> metadata = 3; }
  message Duration { int64 seconds = 1; int32 nanos = 2; }
  message RetryInfo { Duration retry_delay = 1; }`).root;
const Status = statusTypes.lookupType("google.rpc.Status");
const ErrorInfo = statusTypes.lookupType("google.rpc.ErrorInfo");
const RetryInfo = statusTypes.lookupType("google.rpc.RetryInfo");
/** How often a call that failed UNAVAILABLE is made again. */
const UNAVAILABLE_RETRIES = 5;

/**
 * A failed call: the gRPC status with the homeserver's reason and metadata, and the delay its
 * RetryInfo asks for (null without one).
 */
export class ApiError extends Error {
  constructor(rpc, cause) {
    const info = detail(cause.metadata, ErrorInfo) ?? {};
    super(`${rpc}: ${grpc.status[cause.code]} ${info.reason ?? ""} ${cause.details} ${JSON.stringify(info.metadata ?? {})}`);
    this.rpc = rpc;
    this.code = grpc.status[cause.code];
    this.reason = info.reason ?? null;
    this.metadata = info.metadata ?? {};
    const delay = detail(cause.metadata, RetryInfo)?.retryDelay;
    this.retryDelaySeconds = delay ? Number(delay.seconds) + delay.nanos / 1e9 : null;
  }
}

/** The detail of type `type` in the status a call failed with, as a plain object; undefined if none. */
function detail(metadata, type) {
  const raw = metadata?.get("grpc-status-details-bin")?.[0];
  if (!raw) {
    return undefined;
  }
  const any = Status.decode(raw).details.find(d => d.typeUrl.endsWith(`/${type.fullName.slice(1)}`));
  return any ? type.toObject(type.decode(any.value), { defaults: true, longs: String }) : undefined;
}

/**
 * How to reach a public port: TLS with the certificate checked against the system's roots, or against
 * the CA certificate in `ca` (a PEM file) for a private CA, and always against the target's host
 * name; `plaintext` only for a server without TLS.
 */
export function channelCredentials({ ca, plaintext }) {
  if (plaintext) {
    return grpc.credentials.createInsecure();
  }
  return grpc.credentials.createSsl(ca ? readFileSync(ca) : null);
}

/** Stubs of one homeserver's public port; every call takes an optional access token. */
export class Homeserver {
  constructor(target, credentials) {
    this.target = target;
    const options = { "grpc.max_receive_message_length": MAX_MESSAGE_BYTES };
    this.services = {
      auth: new api.auth.v1.AuthService(target, credentials, options),
      directory: new api.directory.v1.DirectoryService(target, credentials, options),
      keypackage: new api.keypackage.v1.KeyPackageService(target, credentials, options),
      delivery: new api.delivery.v1.DeliveryService(target, credentials, options),
    };
  }

  /**
   * Calls a unary RPC, e.g. call("auth", "GetServerInfo", {}); rejects with an ApiError. A call over
   * one of the homeserver's rate limits is made again after the delay its RetryInfo names. A call
   * that failed UNAVAILABLE (the instance serving it went away; the gateway sends the next call to
   * another) is made again a few times: every call that changes something carries an idempotency key
   * or sets a state, so a repeat of one that did go through is answered as the first.
   */
  async call(service, method, request, token) {
    for (let unavailable = 0; ; ) {
      try {
        return await this.callOnce(service, method, request, token);
      } catch (error) {
        if (error.code === "UNAVAILABLE" && unavailable < UNAVAILABLE_RETRIES) {
          unavailable++;
          console.log(`  (${service}.${method} failed UNAVAILABLE; trying again)`);
          await new Promise(resolve => setTimeout(resolve, 100 * 2 ** unavailable));
          continue;
        }
        if (error.reason !== "RATE_LIMITED") {
          throw error;
        }
        const seconds = error.retryDelaySeconds ?? 1;
        console.log(`  (${service}.${method} is rate limited by the homeserver; retrying in ${seconds} s)`);
        await new Promise(resolve => setTimeout(resolve, seconds * 1000));
      }
    }
  }

  callOnce(service, method, request, token) {
    return new Promise((resolve, reject) => {
      this.services[service][method](request, bearer(token), { deadline: Date.now() + DEADLINE_MS },
        (error, response) => error ? reject(new ApiError(`${service}.${method}`, error)) : resolve(response));
    });
  }

  /** Opens a Listen stream (delivery.proto) for the token's client. */
  listen(request, token) {
    return this.services.delivery.Listen(request, bearer(token));
  }

  close() {
    Object.values(this.services).forEach(stub => stub.close());
  }
}

function bearer(token) {
  const metadata = new grpc.Metadata();
  if (token) {
    metadata.set("authorization", `Bearer ${token}`);
  }
  return metadata;
}
