/** Command-line parsing: global options anywhere, then a command and its positional words. */
import { homedir } from 'node:os';
import { join } from 'node:path';

export const DEFAULT_SERVER = 'http://127.0.0.1:8080';

export interface Args {
  readonly server: string | undefined;
  readonly home: string;
  readonly json: boolean;
  readonly wait: number | undefined;
  readonly accept: boolean;
  /** `--group GROUP` for `send` and `chat`: a group name, id or id prefix. */
  readonly group: string | undefined;
  /** `--file PATH` for `send` (repeatable). */
  readonly files: readonly string[];
  /** `--save-dir DIR`: where `receive` and `chat` save attachments (default HOME/attachments). */
  readonly saveDir: string | undefined;
  /** `--reply-to ID` for `send`: the message replied to. */
  readonly replyTo: string | undefined;
  /** `--remove` for `react`. */
  readonly remove: boolean;
  /** `--name N` and `--avatar PATH` for `profile set`. */
  readonly name: string | undefined;
  readonly avatar: string | undefined;
  /** `--stop` for `typing`. */
  readonly stop: boolean;
  /** `--recovery-key KEY` for `backup restore` (else PARLEY_RECOVERY_KEY, else stdin). */
  readonly recoveryKey: string | undefined;
  /** `--no-history` for `link` and `link approve`: no conversation history for the new device. */
  readonly noHistory: boolean;
  readonly words: readonly string[];
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const USAGE = `usage: parley [--server URL] [--home DIR] [--json] COMMAND
  register USERNAME        create an account; this device becomes its primary
  link                     (new device) print a code, wait until the primary approves it,
                           then import the history it offers (--no-history declines)
  link approve CODE        (primary) add the device that shows CODE and offer it the
                           conversations, encrypted (--no-history offers none)
  whoami                   this device's account
  send USERNAME TEXT       send a message; prints its id once the relay has it (sealed: the
                           relay does not learn the sender, once the contact sent its key)
  send --group GROUP TEXT  send to every member device of a group (sealed with the group's
                           epoch token when the relay takes it; --json says "sealed")
  send ... --file PATH [TEXT]  send a file (encrypted, uploaded once for every recipient);
                           --file may be given up to 4 times; --reply-to ID quotes a message
  react USERNAME ID EMOJI  react to a message (--remove takes the reaction back)
  edit USERNAME ID TEXT    replace the text of one of your messages (the history is kept)
  delete USERNAME ID       delete one of your messages for everyone (a tombstone stays)
  react|edit|delete --group GROUP ID ...  the same in a group
  typing USERNAME [--stop] tell a contact you are typing (or --group GROUP); needs
                           settings typing on, which also shows others' typing
  timer USERNAME [off|30s|5m|1h|1d|1w]  show or set the disappearing-message timer for
                           everyone in the conversation (or --group GROUP)
  settings [typing on|off] this device's settings (typing indicators are off by default)
  backup create FILE       write an encrypted backup (keys, contacts, groups, history);
                           prints the recovery key once
  backup restore FILE      (into an empty --home) restore it; asks for the recovery key
                           (--recovery-key KEY or PARLEY_RECOVERY_KEY)
  receive [--wait SECS]    fetch and print everything pending (waiting up to SECS for one),
                           group messages and membership changes (with who made them) included
  chat USERNAME            interactive: history, live messages, a typed line sends
  chat --group GROUP       the same in a group
  group create NAME [USERNAME...]  create an MLS group (all your devices join; the name never
                           reaches the relay); prints its id
  group add GROUP USERNAME...      add users (every device in their signed device lists)
  group remove GROUP USERNAME...   remove users (all their devices)
  group leave GROUP        leave with all your devices (another member commits it)
  group list               your groups, their ids and members (from the MLS state)
  profile set --name N [--avatar PATH]  (primary) your name and a small image, encrypted
                           under your profile key (contacts get it; the relay never sees it)
  profile show USERNAME    a contact's profile (or yours)
  profile rotate           (primary) a new profile key: the old delivery token stops working
  devices                  list this account's devices
  devices remove ID        (primary) remove a device; on another device, its own ID removes
                           this device (the primary then signs it out of the list)
  account-key rotate       (primary) replace the account key; contacts see a key change to
                           verify, your other devices follow on the old key's signature
  verify USERNAME          show the safety number and the key transparency status;
                           --accept after a key change
  kt status                the transparency log, its last verified head, monitoring state
  kt monitor               monitor looked-up labels and check this account's own ones now
  delete-account           delete the account at the relay and this device's data
options:
  --server URL   relay address (default: the one saved at register, else ${DEFAULT_SERVER})
  --home DIR     where this device's keys live (PARLEY_HOME, default ~/.parley)
  --json         one JSON object per line
  --save-dir DIR where receive and chat save attachments (default HOME/attachments); a file
                 is saved only once every byte is verified
  GROUP          a group's name (case-insensitive), its id, or a unique id prefix (4+ chars)
  PARLEY_PASSPHRASE (environment) encrypts the store with a passphrase instead of a key file`;

const MAX_WAIT_SECONDS = 3600;

export function parseArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Args {
  let server: string | undefined;
  let home = env['PARLEY_HOME'] ?? join(homedir(), '.parley');
  let json = false;
  let wait: number | undefined;
  let accept = false;
  let group: string | undefined;
  const files: string[] = [];
  let saveDir: string | undefined;
  let replyTo: string | undefined;
  let remove = false;
  let name: string | undefined;
  let avatar: string | undefined;
  let stop = false;
  let recoveryKey: string | undefined;
  let noHistory = false;
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${arg} needs a value`);
      return v;
    };
    if (arg === '--server') server = value().replace(/\/+$/, '');
    else if (arg === '--home') home = value();
    else if (arg === '--json') json = true;
    else if (arg === '--accept') accept = true;
    else if (arg === '--group') group = value();
    else if (arg === '--file') files.push(value());
    else if (arg === '--save-dir') saveDir = value();
    else if (arg === '--reply-to') replyTo = value();
    else if (arg === '--remove') remove = true;
    else if (arg === '--name') name = value();
    else if (arg === '--avatar') avatar = value();
    else if (arg === '--stop') stop = true;
    else if (arg === '--recovery-key') recoveryKey = value();
    else if (arg === '--no-history') noHistory = true;
    else if (arg === '--wait') {
      const n = Number(value());
      if (!Number.isFinite(n) || n < 0 || n > MAX_WAIT_SECONDS)
        throw new UsageError(`--wait takes 0..${MAX_WAIT_SECONDS} seconds`);
      wait = n;
    } else if (arg === '--help' || arg === '-h') words.unshift('help');
    else if (arg.startsWith('--')) throw new UsageError(`unknown option ${arg}`);
    else words.push(arg);
  }
  return {
    server,
    home,
    json,
    wait,
    accept,
    group,
    files,
    saveDir,
    replyTo,
    remove,
    name,
    avatar,
    stop,
    recoveryKey: recoveryKey ?? env['PARLEY_RECOVERY_KEY'],
    noHistory,
    words,
  };
}
