/**
 * The HTTP side of the transport: one typed call per relay route, over an injected `fetch`
 * (global `fetch` in Node 20 and browsers), with Basic device authentication. Failures become
 * `ClientError`: `UNREACHABLE` when no answer came, `RELAY` with the registry code otherwise.
 * Every successful answer is checked against its route's schema in `@parley/api` (types,
 * lengths, ranges) before anything reads it: a malformed one is `RELAY_INCONSISTENT`.
 */
import type {
  AccountResponse,
  ChangeAccountKeyRequest,
  ClaimKeyPackagesResponse,
  CommitRequest,
  CommitResponse,
  CreateGroupRequest,
  GroupMessageRequest,
  GroupMessageResponse,
  SealedCommitRequest,
  SealedGroupMessageRequest,
  SealedGroupMessageResponse,
  GroupResponse,
  HandshakeLogResponse,
  KeyPackageCountResponse,
  UploadKeyPackagesRequest,
  CreateAccountRequest,
  CreateAccountResponse,
  DeviceListResponse,
  KeyCountsResponse,
  LinkDeviceRequest,
  LinkDeviceResponse,
  LinkTokenResponse,
  ProvisioningChannelResponse,
  ProvisioningPollResponse,
  PreKeyBundleResponse,
  SendRequest,
  SendResponse,
  SignedDeviceList,
  UploadKeysRequest,
} from '@parley/api';
import { GROUP_ROUTES, ROUTES, conforms, schemas, type RouteSpec } from '@parley/api';
import { toBase64, utf8Encode } from '@parley/bytes';
import { ClientError } from './errors.js';

/** The part of a fetch `Response` we use. */
export interface FetchResponse {
  readonly status: number;
  text(): Promise<string>;
}
/** The part of `fetch` we use. */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
) => Promise<FetchResponse>;

export interface DeviceCredentials {
  readonly accountId: string;
  readonly deviceId: number;
  /** The device secret, base64. */
  readonly secret: string;
}

/** One relay error's body, as the registry defines it. */
export interface RelayErrorBody {
  readonly code: string;
  readonly message: string;
  readonly details?: unknown;
}

type AnswerSchema = RouteSpec['success']['schema'];

/** The message page checked as a page only; each envelope is checked on its own by its reader. */
const FETCH_PAGE = { method: 'GET', success: { schema: schemas.FetchMessagesPage } } as const;

export class RelayHttp {
  constructor(
    readonly baseUrl: string,
    private readonly fetchFn: FetchLike,
  ) {}

  async call<T>(
    route: { readonly method: string; readonly success: { readonly schema: AnswerSchema } },
    path: string,
    auth: DeviceCredentials | undefined,
    body?: unknown,
  ): Promise<T> {
    const { method } = route;
    const schema = route.success.schema;
    const headers: Record<string, string> = {};
    if (auth !== undefined) {
      const user = `${auth.accountId}.${auth.deviceId}`;
      headers['authorization'] = `Basic ${toBase64(utf8Encode(`${user}:${auth.secret}`))}`;
    }
    const init: { method: string; headers: Record<string, string>; body?: string } = {
      method,
      headers,
    };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let response: FetchResponse;
    try {
      response = await this.fetchFn(`${this.baseUrl}${path}`, init);
    } catch (cause) {
      throw new ClientError(
        'UNREACHABLE',
        `the relay at ${this.baseUrl} is unreachable`,
        undefined,
        {
          cause,
        },
      );
    }
    const text = await response.text();
    if (response.status >= 200 && response.status < 300) {
      if (schema === null || schema === 'octet-stream') return undefined as T;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        value = undefined;
      }
      if (!conforms(schema, value))
        throw new ClientError(
          'RELAY_INCONSISTENT',
          `the relay's answer to ${method} ${path.split('?')[0] ?? ''} is malformed`,
        );
      return value as T;
    }
    let error: RelayErrorBody = { code: 'INTERNAL', message: `HTTP ${response.status}` };
    try {
      const parsed = JSON.parse(text) as { error?: RelayErrorBody };
      if (parsed.error !== undefined) error = parsed.error;
    } catch {
      // keep the generic error
    }
    throw new RelayCallError(error);
  }

  createAccount(request: CreateAccountRequest): Promise<CreateAccountResponse> {
    return this.call(ROUTES.createAccount, '/v1/accounts', undefined, request);
  }
  changeAccountKey(auth: DeviceCredentials, request: ChangeAccountKeyRequest): Promise<void> {
    return this.call(ROUTES.changeAccountKey, '/v1/accounts/me/identity-key', auth, request);
  }
  deleteAccount(auth: DeviceCredentials): Promise<void> {
    return this.call(ROUTES.deleteAccount, '/v1/accounts/me', auth);
  }
  accountByUsername(auth: DeviceCredentials, username: string): Promise<AccountResponse> {
    return this.call(
      ROUTES.getAccountByUsername,
      `/v1/accounts/by-username/${encodeURIComponent(username)}`,
      auth,
    );
  }
  account(auth: DeviceCredentials, accountId: string): Promise<AccountResponse> {
    return this.call(ROUTES.getAccount, `/v1/accounts/${encodeURIComponent(accountId)}`, auth);
  }
  devices(auth: DeviceCredentials): Promise<DeviceListResponse> {
    return this.call(ROUTES.listDevices, '/v1/devices', auth);
  }
  removeDevice(auth: DeviceCredentials, deviceId: number): Promise<void> {
    return this.call(ROUTES.removeDevice, `/v1/devices/${deviceId}`, auth);
  }
  putDeviceList(auth: DeviceCredentials, list: SignedDeviceList): Promise<void> {
    return this.call(ROUTES.putDeviceList, '/v1/device-list', auth, list);
  }
  deviceList(auth: DeviceCredentials, accountId: string): Promise<SignedDeviceList> {
    return this.call(
      ROUTES.getDeviceList,
      `/v1/accounts/${encodeURIComponent(accountId)}/device-list`,
      auth,
    );
  }
  uploadKeys(auth: DeviceCredentials, keys: UploadKeysRequest): Promise<void> {
    return this.call(ROUTES.uploadKeys, '/v1/keys', auth, keys);
  }
  keyStatus(auth: DeviceCredentials): Promise<KeyCountsResponse> {
    return this.call(ROUTES.keyCounts, '/v1/keys/status', auth);
  }
  bundles(
    auth: DeviceCredentials,
    accountId: string,
    deviceId: number,
  ): Promise<PreKeyBundleResponse> {
    return this.call(
      ROUTES.getPreKeyBundle,
      `/v1/keys/${encodeURIComponent(accountId)}?deviceId=${deviceId}`,
      auth,
    );
  }
  linkToken(auth: DeviceCredentials): Promise<LinkTokenResponse> {
    return this.call(ROUTES.createLinkToken, '/v1/devices/link-tokens', auth);
  }
  linkDevice(request: LinkDeviceRequest): Promise<LinkDeviceResponse> {
    return this.call(ROUTES.linkDevice, '/v1/devices', undefined, request);
  }
  openProvisioning(): Promise<ProvisioningChannelResponse> {
    return this.call(ROUTES.openProvisioning, '/v1/provisioning', undefined);
  }
  putProvisioning(auth: DeviceCredentials, channelId: string, ciphertext: string): Promise<void> {
    return this.call(
      ROUTES.sendProvisioning,
      `/v1/provisioning/${encodeURIComponent(channelId)}`,
      auth,
      {
        ciphertext,
      },
    );
  }
  /** The channel's message, waiting up to `waitSeconds` for it (a long poll). */
  pollProvisioning(channelId: string, waitSeconds = 0): Promise<ProvisioningPollResponse> {
    return this.call(
      ROUTES.pollProvisioning,
      `/v1/provisioning/${encodeURIComponent(channelId)}?waitSeconds=${String(waitSeconds)}`,
      undefined,
    );
  }
  send(auth: DeviceCredentials, request: SendRequest): Promise<SendResponse> {
    return this.call(ROUTES.sendMessage, '/v1/messages', auth, request);
  }
  /** A page of queued envelopes; each envelope is still unchecked (`unknown`). */
  fetchMessages(auth: DeviceCredentials): Promise<FetchMessagesPage> {
    return this.call(FETCH_PAGE, '/v1/messages', auth);
  }
  ack(auth: DeviceCredentials, guids: readonly string[]): Promise<void> {
    return this.call(ROUTES.ackMessages, '/v1/messages/acks', auth, { guids });
  }
  uploadKeyPackages(auth: DeviceCredentials, request: UploadKeyPackagesRequest): Promise<void> {
    return this.call(GROUP_ROUTES.uploadKeyPackages, '/v1/mls/key-packages', auth, request);
  }
  keyPackageStatus(auth: DeviceCredentials): Promise<KeyPackageCountResponse> {
    return this.call(GROUP_ROUTES.keyPackageCount, '/v1/mls/key-packages/status', auth);
  }
  claimKeyPackages(auth: DeviceCredentials, accountId: string): Promise<ClaimKeyPackagesResponse> {
    return this.call(
      GROUP_ROUTES.claimKeyPackages,
      `/v1/mls/key-packages/${encodeURIComponent(accountId)}/claim`,
      auth,
    );
  }
  createGroup(auth: DeviceCredentials, request: CreateGroupRequest): Promise<GroupResponse> {
    return this.call(GROUP_ROUTES.createGroup, '/v1/groups', auth, request);
  }
  group(auth: DeviceCredentials, groupId: string): Promise<GroupResponse> {
    return this.call(GROUP_ROUTES.getGroup, `/v1/groups/${encodeURIComponent(groupId)}`, auth);
  }
  commitToGroup(
    auth: DeviceCredentials,
    groupId: string,
    request: CommitRequest,
  ): Promise<CommitResponse> {
    return this.call(
      GROUP_ROUTES.commitToGroup,
      `/v1/groups/${encodeURIComponent(groupId)}/commits`,
      auth,
      request,
    );
  }
  groupCommits(
    auth: DeviceCredentials,
    groupId: string,
    fromEpoch: number,
  ): Promise<HandshakeLogResponse> {
    return this.call(
      GROUP_ROUTES.groupCommits,
      `/v1/groups/${encodeURIComponent(groupId)}/commits?fromEpoch=${fromEpoch}`,
      auth,
    );
  }
  /** A group message admitted by the epoch's delivery token, with no credential. */
  sendSealedGroupMessage(
    groupId: string,
    request: SealedGroupMessageRequest,
  ): Promise<SealedGroupMessageResponse> {
    return this.call(
      GROUP_ROUTES.sendSealedGroupMessage,
      `/v1/groups/${encodeURIComponent(groupId)}/sealed-messages`,
      undefined,
      request,
    );
  }
  /** A commit admitted by the epoch's delivery token, with no credential. */
  sealedCommitToGroup(groupId: string, request: SealedCommitRequest): Promise<CommitResponse> {
    return this.call(
      GROUP_ROUTES.sealedCommitToGroup,
      `/v1/groups/${encodeURIComponent(groupId)}/sealed-commits`,
      undefined,
      request,
    );
  }
  sendGroupMessage(
    auth: DeviceCredentials,
    groupId: string,
    request: GroupMessageRequest,
  ): Promise<GroupMessageResponse> {
    return this.call(
      GROUP_ROUTES.sendGroupMessage,
      `/v1/groups/${encodeURIComponent(groupId)}/messages`,
      auth,
      request,
    );
  }
}

/** A fetched page: envelopes are checked one by one by whoever reads them. */
export interface FetchMessagesPage {
  readonly messages: readonly unknown[];
  readonly more: boolean;
}

/**
 * Relay refusals after which a sealed post (1:1 or group) goes authenticated instead
 * (`NOT_FOUND`: a relay without the sealed routes).
 */
export const SEALED_FALL_BACK_ON: readonly string[] = [
  'DELIVERY_TOKEN_INVALID',
  'RATE_LIMITED',
  'QUEUE_FULL',
  'NOT_FOUND',
];

/** A relay error response, before the client maps it to a user-facing `ClientError`. */
export class RelayCallError extends ClientError {
  constructor(readonly body: RelayErrorBody) {
    super('RELAY', `the relay refused: ${body.code}`, body.code);
  }
}
