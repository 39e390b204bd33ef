----------------------------- MODULE EscapeHatch -----------------------------
(***************************************************************************)
(* The escape hatch and bridge of one SPN, abstracted to one asset.        *)
(*                                                                         *)
(* Users 1..N hold Start balances on mainnet. Deposits and forced           *)
(* withdrawals join one FIFO forced queue on mainnet. The SPN operator     *)
(* processes queue entries into its head state, moves value between users  *)
(* locally, and commits its head to mainnet, or does none of it: censoring,*)
(* halting and withholding data all look to mainnet like "no commit that   *)
(* covers the queue". Equivocating headers never pass the quorum check     *)
(* (spec/spn.md, SPN-HDR-QUORUM.1) and are not modelled here.              *)
(*                                                                         *)
(* When the oldest uncovered forced operation is older than IncDeadline    *)
(* blocks, anyone may freeze the SPN; users then claim their committed     *)
(* balance once by proof and unprocessed deposits are refunded.            *)
(*                                                                         *)
(* Bounded completion is checked as an invariant over a bounded clock: the *)
(* clock advances only while no freeze has been overdue for K blocks (the  *)
(* user's own mainnet inclusion delay), and then no forced operation may   *)
(* stay uncovered on an active SPN for more than IncDeadline + 1 + K       *)
(* blocks. DeadlineRule = FALSE removes the deadline rule; SingleClaim =   *)
(* FALSE removes the once-per-account check on escape claims. Both exist   *)
(* only for the must-fail configurations.                                  *)
(***************************************************************************)
EXTENDS Naturals, Sequences, FiniteSets

CONSTANTS N, Start, MaxQueue, IncDeadline, K, MaxHeight, DeadlineRule, SingleClaim

ASSUME /\ N \in 1..3
       /\ Start \in 0..3
       /\ MaxQueue \in 1..3
       /\ IncDeadline \in 0..5
       /\ K \in 0..5
       /\ MaxHeight \in 0..20
       /\ DeadlineRule \in BOOLEAN
       /\ SingleClaim \in BOOLEAN

Users == 1..N
Amounts == 1..Start

VARIABLES
    h,          \* mainnet height
    main,       \* main[u]: mainnet balance
    escrow,     \* the SPN's escrow on mainnet
    queue,      \* forced queue: <<[kind, user, amt, at]>>
    head,       \* head[u]: balance in the operator's latest (maybe uncommitted) state
    headFp,     \* forced operations processed by the head
    headOut,    \* headOut[u]: withdrawals burned in the head, not yet committed
    com,        \* com[u]: balance in the last committed state
    comFp,      \* forced operations covered by committed headers
    wd,         \* wd[u]: committed withdrawals not yet paid on mainnet
    status,     \* "active" or "frozen"
    wasFrozen,  \* history: the SPN was frozen at some point
    claims,     \* claims[u]: escape claims paid to u
    refunded    \* queue indices of refunded deposits

vars == <<h, main, escrow, queue, head, headFp, headOut, com, comFp, wd, status, wasFrozen, claims, refunded>>

\* Sums over users and queue slots are written out (N, MaxQueue <= 3), so no recursion is needed.
SumU(f) == (IF 1 \in Users THEN f[1] ELSE 0) + (IF 2 \in Users THEN f[2] ELSE 0) + (IF 3 \in Users THEN f[3] ELSE 0)
Total == N * Start

\* @spec SPN-ESCAPE-DEADLINE.1
Uncovered == comFp < Len(queue)
OldestAt == queue[comFp + 1].at
FreezeAllowed == /\ DeadlineRule
                 /\ status = "active"
                 /\ Uncovered
                 /\ h > OldestAt + IncDeadline
\* The freeze has been allowed for K blocks: the watcher (at worst the user) acts before the next block.
Overdue == FreezeAllowed /\ h >= OldestAt + IncDeadline + 1 + K

-----------------------------------------------------------------------------
Init ==
    /\ h = 0
    /\ main = [u \in Users |-> Start]
    /\ escrow = 0
    /\ queue = <<>>
    /\ head = [u \in Users |-> 0]
    /\ headFp = 0
    /\ headOut = [u \in Users |-> 0]
    /\ com = [u \in Users |-> 0]
    /\ comFp = 0
    /\ wd = [u \in Users |-> 0]
    /\ status = "active"
    /\ wasFrozen = FALSE
    /\ claims = [u \in Users |-> 0]
    /\ refunded = {}

\* @spec SPN-BRIDGE-DEPOSIT.1
Deposit(u, x) ==
    /\ status = "active"
    /\ Len(queue) < MaxQueue
    /\ main[u] >= x
    /\ main' = [main EXCEPT ![u] = @ - x]
    /\ escrow' = escrow + x
    /\ queue' = Append(queue, [kind |-> "dep", user |-> u, amt |-> x, at |-> h])
    /\ UNCHANGED <<h, head, headFp, headOut, com, comFp, wd, status, wasFrozen, claims, refunded>>

\* @spec SPN-ESCAPE-REQUEST.1
ForceWithdraw(u, x) ==
    /\ status = "active"
    /\ Len(queue) < MaxQueue
    /\ queue' = Append(queue, [kind |-> "wd", user |-> u, amt |-> x, at |-> h])
    /\ UNCHANGED <<h, main, escrow, head, headFp, headOut, com, comFp, wd, status, wasFrozen, claims, refunded>>

\* The operator processes the next forced operation into its head (FIFO).
\* @spec SPN-ESCAPE-FIFO.1 SPN-HDR-PRODUCE.1
Process ==
    /\ status = "active"
    /\ headFp < Len(queue)
    /\ LET op == queue[headFp + 1] IN
         IF op.kind = "dep"
         THEN /\ head' = [head EXCEPT ![op.user] = @ + op.amt]
              /\ UNCHANGED headOut
         ELSE IF head[op.user] >= op.amt
              THEN /\ head' = [head EXCEPT ![op.user] = @ - op.amt]
                   /\ headOut' = [headOut EXCEPT ![op.user] = @ + op.amt]
              ELSE UNCHANGED <<head, headOut>>
    /\ headFp' = headFp + 1
    /\ UNCHANGED <<h, main, escrow, queue, com, comFp, wd, status, wasFrozen, claims, refunded>>

\* A local transfer on the SPN, included at the operator's discretion.
Transfer(u, v, x) ==
    /\ status = "active"
    /\ u # v
    /\ head[u] >= x
    /\ head' = [head EXCEPT ![u] = @ - x, ![v] = @ + x]
    /\ UNCHANGED <<h, main, escrow, queue, headFp, headOut, com, comFp, wd, status, wasFrozen, claims, refunded>>

\* A relayer commits the head with its data and a quorum certificate.
\* @spec SPN-HDR-VERIFY.1 SPN-HDR-DA.1
Commit ==
    /\ status = "active"
    /\ <<head, headFp>> # <<com, comFp>> \/ headOut # [u \in Users |-> 0]
    /\ com' = head
    /\ comFp' = headFp
    /\ wd' = [u \in Users |-> wd[u] + headOut[u]]
    /\ headOut' = [u \in Users |-> 0]
    /\ UNCHANGED <<h, main, escrow, queue, head, headFp, status, wasFrozen, claims, refunded>>

\* @spec SPN-BRIDGE-WITHDRAW.1
Finalize(u) ==
    /\ wd[u] > 0
    /\ main' = [main EXCEPT ![u] = @ + wd[u]]
    /\ escrow' = escrow - wd[u]
    /\ wd' = [wd EXCEPT ![u] = 0]
    /\ UNCHANGED <<h, queue, head, headFp, headOut, com, comFp, status, wasFrozen, claims, refunded>>

\* @spec SPN-ESCAPE-FREEZE.1
Freeze ==
    /\ FreezeAllowed
    /\ status' = "frozen"
    /\ wasFrozen' = TRUE
    \* The uncommitted head dies with the SPN.
    /\ head' = com
    /\ headFp' = comFp
    /\ headOut' = [u \in Users |-> 0]
    /\ UNCHANGED <<h, main, escrow, queue, com, comFp, wd, claims, refunded>>

\* @spec SPN-ESCAPE-CLAIM.1
Escape(u) ==
    /\ status = "frozen"
    /\ com[u] > 0
    /\ SingleClaim => claims[u] = 0
    /\ escrow >= com[u]
    /\ main' = [main EXCEPT ![u] = @ + com[u]]
    /\ escrow' = escrow - com[u]
    /\ claims' = [claims EXCEPT ![u] = @ + 1]
    /\ UNCHANGED <<h, queue, head, headFp, headOut, com, comFp, wd, status, wasFrozen, refunded>>

\* @spec SPN-ESCAPE-REFUND.1
Refund(i) ==
    /\ status = "frozen"
    /\ i > comFp
    /\ i <= Len(queue)
    /\ queue[i].kind = "dep"
    /\ i \notin refunded
    /\ main' = [main EXCEPT ![queue[i].user] = @ + queue[i].amt]
    /\ escrow' = escrow - queue[i].amt
    /\ refunded' = refunded \cup {i}
    /\ UNCHANGED <<h, queue, head, headFp, headOut, com, comFp, wd, status, wasFrozen, claims>>

\* @spec SPN-CLOCK.1 SPN-ESCAPE-BOUNDED.1
Tick ==
    /\ h < MaxHeight
    /\ ~Overdue
    /\ h' = h + 1
    /\ UNCHANGED <<main, escrow, queue, head, headFp, headOut, com, comFp, wd, status, wasFrozen, claims, refunded>>

Next ==
    \/ \E u \in Users, x \in Amounts : Deposit(u, x) \/ ForceWithdraw(u, x)
    \/ Process
    \/ \E u, v \in Users, x \in Amounts : Transfer(u, v, x)
    \/ Commit
    \/ \E u \in Users : Finalize(u) \/ Escape(u)
    \/ Freeze
    \/ \E i \in 1..MaxQueue : Refund(i)
    \/ Tick

Spec == Init /\ [][Next]_vars

-----------------------------------------------------------------------------
TypeOK ==
    /\ h \in 0..MaxHeight
    /\ main \in [Users -> 0..Total]
    /\ escrow \in 0..Total
    /\ Len(queue) <= MaxQueue
    /\ headFp \in 0..Len(queue)
    /\ comFp \in 0..headFp
    /\ status \in {"active", "frozen"}
    /\ wasFrozen \in BOOLEAN
    /\ refunded \subseteq 1..MaxQueue

\* @spec SPN-BRIDGE-CONSERVATION.1
Conservation == SumU(main) + escrow = Total

DepAmt(i) == IF i <= Len(queue) /\ i > comFp /\ i \notin refunded /\ queue[i].kind = "dep" THEN queue[i].amt ELSE 0
PendingDeposits == DepAmt(1) + DepAmt(2) + DepAmt(3)
Unclaimed == [u \in Users |-> IF claims[u] > 0 THEN 0 ELSE com[u]]

\* @spec SPN-BRIDGE-ESCROW.1
EscrowBacking == escrow = SumU(Unclaimed) + PendingDeposits + SumU(wd)

\* @spec SPN-ESCAPE-CLAIM.1 SPN-BRIDGE-WITHDRAW.1
NoDoubleClaim == \A u \in Users : claims[u] <= 1 /\ (claims[u] = 1 => status = "frozen")

\* @spec SPN-ESCAPE-FROZEN-FOREVER.1
FrozenForever == wasFrozen => (status = "frozen" /\ headFp = comFp)

\* @spec SPN-ESCAPE-FIFO.1
ForcedPrefix == comFp <= headFp /\ headFp <= Len(queue)

\* @spec SPN-ESCAPE-BOUNDED.1
BoundedCompletion == (status = "active" /\ Uncovered) => h <= OldestAt + IncDeadline + 1 + K
=============================================================================
