/**
 * The SPN state machine's data: the mainnet (registry and management contract, restaking, bridge
 * escrow, forced-operation queue, mailbox), and each SPN's own chain as its operator produces it.
 * Everything is immutable; every rule in this folder maps a world and an action to a new world or
 * a failure with a stable code.
 *
 * Identifiers (accounts, assets, SPNs, validators) are short lowercase names so that they can be
 * written in vectors and hashed without an escaping question: `[a-z0-9][a-z0-9._-]{0,31}`.
 *
 * @module
 */

/** Global constants of the mainnet contracts. Heights are mainnet block heights. */
export interface SpnGlobalParams {
  /** Forced-operation inclusion deadline: blocks after enqueueing by which a committed SPN header must cover the operation. */
  readonly incDeadline: number;
  /** Maximum gap, in blocks, between two committed headers of an active SPN before it counts as halted. */
  readonly liveDeadline: number;
  /** Blocks between a parameter proposal and the earliest height at which it may be applied (the governance timelock). */
  readonly paramDelay: number;
  /** Blocks after the source header's observed height until a cross-SPN message times out. */
  readonly msgTimeout: number;
  /** Fraction of a double-signing validator's stake at risk on that SPN that is burned, in basis points (1..10000). */
  readonly slashBps: number;
  /** The asset validators stake (the native token P). */
  readonly stakeAsset: string;
}

/** Per-SPN parameters, set at registration and changed only through SPN-PARAMS-UPDATE.1. @spec SPN-LIFE-REGISTER.1 SPN-PARAMS-SPN.1 */
export interface SpnParams {
  /** Validators with a non-zero restake needed before the SPN activates. */
  readonly targetValidators: number;
  /** Total restaked stP needed before the SPN activates. */
  readonly softCap: bigint;
  /** Total restaked stP the SPN accepts at most. */
  readonly hardCap: bigint;
  /** Blocks an unrestake from this SPN stays queued (and slashable) after it leaves the validator set. */
  readonly unrestakeDelay: number;
  /** Blocks after a fault (the later observed height of two conflicting headers) during which evidence is accepted. */
  readonly evidenceWindow: number;
  /** Length of a validator-set epoch in mainnet blocks; epoch e is heights [e * epochLength, (e + 1) * epochLength). */
  readonly epochLength: number;
}

export type SpnStatus = 'registered' | 'active' | 'frozen' | 'retired';

/** A transaction on an SPN that its operator may include or censor at will. */
export type LocalTx =
  | { readonly type: 'transfer'; readonly from: string; readonly to: string; readonly asset: string; readonly amount: bigint }
  | { readonly type: 'withdraw'; readonly account: string; readonly asset: string; readonly amount: bigint }
  | { readonly type: 'send'; readonly from: string; readonly dst: string; readonly recipient: string; readonly asset: string; readonly amount: bigint };

/** An entry of the mainnet forced-operation queue of one SPN (deposits and forced withdrawals share it). */
export interface ForcedOp {
  readonly kind: 'deposit' | 'withdraw';
  readonly account: string;
  readonly asset: string;
  readonly amount: bigint;
  /** Mainnet height at which it was enqueued. */
  readonly enqueuedAt: number;
}

/** A withdrawal to mainnet, created on an SPN by a local withdraw or a processed forced withdrawal. */
export interface WithdrawalEntry {
  readonly type: 'withdrawal';
  readonly spn: string;
  readonly nonce: number;
  readonly account: string;
  readonly asset: string;
  readonly amount: bigint;
}

/** A cross-SPN message: a transfer of `amount` of `asset` from `sender` on `src` to `recipient` on `dst`. */
export interface Message {
  readonly type: 'message';
  readonly src: string;
  readonly dst: string;
  /** Per-channel sequence number, from 0. */
  readonly seq: number;
  readonly sender: string;
  readonly recipient: string;
  readonly asset: string;
  readonly amount: bigint;
  /** Mainnet height from which the destination may no longer execute it. */
  readonly timeoutAt: number;
}

export type OutboxEntry = WithdrawalEntry | Message;

/** One balance leaf of an SPN's state: leaves keep the order in which their (account, asset) key first appeared. */
export interface Leaf {
  readonly account: string;
  readonly asset: string;
  readonly balance: bigint;
}

/** An SPN block header as relayed to mainnet. @spec SPN-HDR-FORMAT.1 */
export interface Header {
  readonly spn: string;
  readonly height: number;
  /** Hash of the parent header, or the SPN's genesis hash for height 1. */
  readonly parent: string;
  readonly stateRoot: string;
  readonly outboxRoot: string;
  /** Cumulative number of forced operations of this SPN processed up to and including this block. */
  readonly forcedProcessed: number;
  /** The mainnet height the SPN had observed when it produced the block. */
  readonly observedHeight: number;
  /** Ids of the archived inbound messages this block executed, in execution order. */
  readonly executed: readonly string[];
}

/** A produced block: its header and the data it commits to (published unless withheld). */
export interface SpnBlock {
  readonly header: Header;
  readonly hash: string;
  readonly leaves: readonly Leaf[];
  readonly outbox: readonly OutboxEntry[];
}

/** The chain an SPN's operator has produced (the SPN side; not all of it need be committed). */
export interface SpnChain {
  readonly blocks: readonly SpnBlock[];
  /** The head state: balances in leaf order. */
  readonly leaves: readonly Leaf[];
  /** Forced operations processed by the head block. */
  readonly forcedProcessed: number;
  /** Next outbox nonce for withdrawals. */
  readonly nextNonce: number;
  /** Next sequence number per destination SPN. */
  readonly nextSeq: ReadonlyMap<string, number>;
  /** Ids of inbound messages executed on this chain. */
  readonly executed: ReadonlySet<string>;
}

/** A committed header as the management contract stores it. */
export interface CommittedHeader {
  readonly hash: string;
  readonly header: Header;
  readonly committedAt: number;
}

/** The registry record of one SPN (the management and adaptor contracts' view). */
export interface SpnRecord {
  readonly id: string;
  readonly admin: string;
  readonly operator: string;
  readonly params: SpnParams;
  readonly status: SpnStatus;
  readonly registeredAt: number;
  /** Committed headers, heights 1..n in order. */
  readonly committed: readonly CommittedHeader[];
  /** Mainnet height of activation or of the last committed header, whichever is later. */
  readonly lastProgressAt: number;
  readonly escrow: ReadonlyMap<string, bigint>;
  readonly forcedQueue: readonly ForcedOp[];
  /** State root frozen at the freeze (the last committed root), and the forced count it covers. */
  readonly frozen?: { readonly root: string; readonly forcedProcessed: number; readonly at: number };
  /** Escape claims paid, as `account/asset`. */
  readonly claimed: ReadonlySet<string>;
  /** Forced-queue indices of deposits refunded after a freeze. */
  readonly refunded: ReadonlySet<number>;
  /** Validators tombstoned on this SPN after slashing: their signatures no longer count. */
  readonly tombstoned: ReadonlySet<string>;
  /** A parameter change proposed by the admin, applicable from `readyAt`. */
  readonly pendingParams?: { readonly params: SpnParams; readonly readyAt: number };
  /** The validator set (restaked power per validator) of each epoch since activation. */
  readonly validatorSets: ReadonlyMap<number, ReadonlyMap<string, bigint>>;
  readonly chain: SpnChain;
}

export interface UnrestakeEntry {
  readonly id: number;
  readonly validator: string;
  readonly spn: string;
  readonly amount: bigint;
  readonly readyAt: number;
}

export interface ValidatorRecord {
  /** Bonded stake; each unit is one stP receipt. */
  readonly stake: bigint;
  /** stP restaked to each SPN. */
  readonly alloc: ReadonlyMap<string, bigint>;
}

export type MessageState = 'archived' | 'delivered' | 'timed-out';

export interface MailboxEntry {
  readonly message: Message;
  readonly state: MessageState;
  readonly archivedAt: number;
}

/** The whole world: mainnet contracts plus every SPN's chain and the signatures that exist. */
export interface World {
  readonly params: SpnGlobalParams;
  readonly height: number;
  /** Mainnet balances, keyed `account/asset`. */
  readonly balances: ReadonlyMap<string, bigint>;
  readonly validators: ReadonlyMap<string, ValidatorRecord>;
  /** Validators that sign whatever they are asked to (for adversarial runs); fixed at genesis. */
  readonly byzantine: ReadonlySet<string>;
  readonly unrestakes: readonly UnrestakeEntry[];
  readonly nextUnrestakeId: number;
  /** Stake burned by slashing, per validator. */
  readonly burned: bigint;
  /** Evidence keys already used, `validator/spn/height`. */
  readonly evidence: ReadonlySet<string>;
  readonly spns: ReadonlyMap<string, SpnRecord>;
  /** Every header that exists, genuine or forged, by hash, with its data. */
  readonly headers: ReadonlyMap<string, SpnBlock>;
  /** Hashes of headers whose data was published. */
  readonly published: ReadonlySet<string>;
  /** Signatures that exist, as `validator|headerHash`: nobody can make one for another validator. */
  readonly signatures: ReadonlySet<string>;
  /** The mainnet mailbox, by message id. */
  readonly mailbox: ReadonlyMap<string, MailboxEntry>;
  /** Next archival sequence number per channel `src>dst`. */
  readonly nextArchiveSeq: ReadonlyMap<string, number>;
  /** Withdrawal ids (`spn/nonce`) already paid on mainnet. */
  readonly finalized: ReadonlySet<string>;
  /** Total supply of every asset, fixed at genesis. */
  readonly supply: ReadonlyMap<string, bigint>;
}

/** A Merkle inclusion proof: the leaf's index and its siblings from the bottom up (0x-hex). */
export interface MerkleProof {
  readonly index: number;
  readonly siblings: readonly string[];
}

/** Every action of the state machine, with the actor that takes it. */
export type SpnAction =
  | { readonly type: 'tick' }
  | { readonly type: 'stake'; readonly validator: string; readonly amount: bigint }
  | { readonly type: 'register'; readonly by: string; readonly spn: string; readonly params: SpnParams }
  | { readonly type: 'restake'; readonly validator: string; readonly spn: string; readonly amount: bigint }
  | { readonly type: 'request-unrestake'; readonly validator: string; readonly spn: string; readonly amount: bigint }
  | { readonly type: 'complete-unrestake'; readonly id: number }
  | { readonly type: 'rotate-operator'; readonly by: string; readonly spn: string; readonly operator: string }
  | { readonly type: 'retire'; readonly by: string; readonly spn: string }
  | { readonly type: 'propose-params'; readonly by: string; readonly spn: string; readonly params: SpnParams }
  | { readonly type: 'apply-params'; readonly spn: string }
  | { readonly type: 'deposit'; readonly account: string; readonly spn: string; readonly asset: string; readonly amount: bigint }
  | { readonly type: 'force-withdraw'; readonly account: string; readonly spn: string; readonly asset: string; readonly amount: bigint }
  | { readonly type: 'produce'; readonly by: string; readonly spn: string; readonly forced: number; readonly txs: readonly LocalTx[]; readonly deliver: readonly string[]; readonly publish: boolean }
  | { readonly type: 'forge'; readonly spn: string; readonly height: number; readonly mint: Leaf }
  | { readonly type: 'commit'; readonly spn: string; readonly headers: readonly string[] }
  | { readonly type: 'finalize-withdrawal'; readonly spn: string; readonly height: number; readonly entry: WithdrawalEntry; readonly proof: MerkleProof }
  | { readonly type: 'archive'; readonly height: number; readonly message: Message; readonly proof: MerkleProof }
  | { readonly type: 'timeout'; readonly id: string }
  | { readonly type: 'freeze'; readonly spn: string }
  | { readonly type: 'escape'; readonly spn: string; readonly leaf: Leaf; readonly proof: MerkleProof }
  | { readonly type: 'refund-deposit'; readonly spn: string; readonly index: number }
  | { readonly type: 'evidence'; readonly validator: string; readonly headerA: string; readonly headerB: string };

export type SpnActionType = SpnAction['type'];

/** Genesis: global parameters, mainnet balances, and which validators are Byzantine. */
export interface Genesis {
  readonly params: SpnGlobalParams;
  readonly balances: readonly { readonly account: string; readonly asset: string; readonly amount: bigint }[];
  readonly byzantine: readonly string[];
}
