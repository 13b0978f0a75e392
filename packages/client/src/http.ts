/**
 * The HTTP side of the transport: one typed call per relay route, over an injected `fetch`
 * (global `fetch` in Node 20 and browsers), with Basic device authentication. Failures become
 * `ClientError`: `UNREACHABLE` when no answer came, `RELAY` with the registry code otherwise.
 */
import type {
  AccountResponse,
  ClaimKeyPackagesResponse,
  CommitRequest,
  CommitResponse,
  CreateGroupRequest,
  GroupMessageRequest,
  GroupMessageResponse,
  GroupResponse,
  HandshakeLogResponse,
  KeyPackageCountResponse,
  UploadKeyPackagesRequest,
  CreateAccountRequest,
  CreateAccountResponse,
  DeviceListResponse,
  FetchMessagesResponse,
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

export class RelayHttp {
  constructor(
    readonly baseUrl: string,
    private readonly fetchFn: FetchLike,
  ) {}

  async call<T>(
    method: string,
    path: string,
    auth: DeviceCredentials | undefined,
    body?: unknown,
  ): Promise<T> {
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
      return (text === '' ? undefined : JSON.parse(text)) as T;
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
    return this.call('POST', '/v1/accounts', undefined, request);
  }
  deleteAccount(auth: DeviceCredentials): Promise<void> {
    return this.call('DELETE', '/v1/accounts/me', auth);
  }
  accountByUsername(auth: DeviceCredentials, username: string): Promise<AccountResponse> {
    return this.call('GET', `/v1/accounts/by-username/${encodeURIComponent(username)}`, auth);
  }
  account(auth: DeviceCredentials, accountId: string): Promise<AccountResponse> {
    return this.call('GET', `/v1/accounts/${encodeURIComponent(accountId)}`, auth);
  }
  devices(auth: DeviceCredentials): Promise<DeviceListResponse> {
    return this.call('GET', '/v1/devices', auth);
  }
  removeDevice(auth: DeviceCredentials, deviceId: number): Promise<void> {
    return this.call('DELETE', `/v1/devices/${deviceId}`, auth);
  }
  putDeviceList(auth: DeviceCredentials, list: SignedDeviceList): Promise<void> {
    return this.call('PUT', '/v1/device-list', auth, list);
  }
  deviceList(auth: DeviceCredentials, accountId: string): Promise<SignedDeviceList> {
    return this.call('GET', `/v1/accounts/${encodeURIComponent(accountId)}/device-list`, auth);
  }
  uploadKeys(auth: DeviceCredentials, keys: UploadKeysRequest): Promise<void> {
    return this.call('PUT', '/v1/keys', auth, keys);
  }
  keyStatus(auth: DeviceCredentials): Promise<KeyCountsResponse> {
    return this.call('GET', '/v1/keys/status', auth);
  }
  bundles(
    auth: DeviceCredentials,
    accountId: string,
    deviceId: number,
  ): Promise<PreKeyBundleResponse> {
    return this.call('GET', `/v1/keys/${encodeURIComponent(accountId)}?deviceId=${deviceId}`, auth);
  }
  linkToken(auth: DeviceCredentials): Promise<LinkTokenResponse> {
    return this.call('POST', '/v1/devices/link-tokens', auth);
  }
  linkDevice(request: LinkDeviceRequest): Promise<LinkDeviceResponse> {
    return this.call('POST', '/v1/devices', undefined, request);
  }
  openProvisioning(): Promise<ProvisioningChannelResponse> {
    return this.call('POST', '/v1/provisioning', undefined);
  }
  putProvisioning(auth: DeviceCredentials, channelId: string, ciphertext: string): Promise<void> {
    return this.call('PUT', `/v1/provisioning/${encodeURIComponent(channelId)}`, auth, {
      ciphertext,
    });
  }
  pollProvisioning(channelId: string): Promise<ProvisioningPollResponse> {
    return this.call('GET', `/v1/provisioning/${encodeURIComponent(channelId)}`, undefined);
  }
  send(auth: DeviceCredentials, request: SendRequest): Promise<SendResponse> {
    return this.call('POST', '/v1/messages', auth, request);
  }
  fetchMessages(auth: DeviceCredentials): Promise<FetchMessagesResponse> {
    return this.call('GET', '/v1/messages', auth);
  }
  ack(auth: DeviceCredentials, guids: readonly string[]): Promise<void> {
    return this.call('POST', '/v1/messages/acks', auth, { guids });
  }
  uploadKeyPackages(auth: DeviceCredentials, request: UploadKeyPackagesRequest): Promise<void> {
    return this.call('PUT', '/v1/mls/key-packages', auth, request);
  }
  keyPackageStatus(auth: DeviceCredentials): Promise<KeyPackageCountResponse> {
    return this.call('GET', '/v1/mls/key-packages/status', auth);
  }
  claimKeyPackages(auth: DeviceCredentials, accountId: string): Promise<ClaimKeyPackagesResponse> {
    return this.call('POST', `/v1/mls/key-packages/${encodeURIComponent(accountId)}/claim`, auth);
  }
  createGroup(auth: DeviceCredentials, request: CreateGroupRequest): Promise<GroupResponse> {
    return this.call('POST', '/v1/groups', auth, request);
  }
  group(auth: DeviceCredentials, groupId: string): Promise<GroupResponse> {
    return this.call('GET', `/v1/groups/${encodeURIComponent(groupId)}`, auth);
  }
  commitToGroup(
    auth: DeviceCredentials,
    groupId: string,
    request: CommitRequest,
  ): Promise<CommitResponse> {
    return this.call('POST', `/v1/groups/${encodeURIComponent(groupId)}/commits`, auth, request);
  }
  groupCommits(
    auth: DeviceCredentials,
    groupId: string,
    fromEpoch: number,
  ): Promise<HandshakeLogResponse> {
    return this.call(
      'GET',
      `/v1/groups/${encodeURIComponent(groupId)}/commits?fromEpoch=${fromEpoch}`,
      auth,
    );
  }
  sendGroupMessage(
    auth: DeviceCredentials,
    groupId: string,
    request: GroupMessageRequest,
  ): Promise<GroupMessageResponse> {
    return this.call('POST', `/v1/groups/${encodeURIComponent(groupId)}/messages`, auth, request);
  }
}

/** A relay error response, before the client maps it to a user-facing `ClientError`. */
export class RelayCallError extends ClientError {
  constructor(readonly body: RelayErrorBody) {
    super('RELAY', `the relay refused: ${body.code}`, body.code);
  }
}
