----------------------------- MODULE SpnMailbox -----------------------------
(***************************************************************************)
(* The mainnet mailbox between a source SPN A and a destination SPN B for  *)
(* messages 1..NMsg of one token each, and the slashing of double signing. *)
(*                                                                         *)
(* A message is sent on A (burned from the sender, owed by A's escrow),    *)
(* archived on mainnet by any relayer (the token moves from A's escrow to  *)
(* B's), executed by a block of B that observed a mainnet height below its *)
(* timeout, and acknowledged when B's header is committed. Anyone may time *)
(* it out once B is frozen, or once B committed a header that observed the *)
(* timeout height without executing it; the token is refunded on mainnet.  *)
(* Mainnet does not check B's executed list against the mailbox here: the  *)
(* timeout rule alone must give exactly-once effect (spec/spn.md,          *)
(* SPN-MSG-TIMEOUT.1, SPN-MSG-EXACTLY-ONCE.1).                             *)
(*                                                                         *)
(* The flags exist only for the must-fail configurations: EagerTimeout     *)
(* lets a timeout follow the mainnet clock alone, ArchiveDedup = FALSE     *)
(* lets a relayer replay an archived message, SlashDedup = FALSE lets one  *)
(* piece of evidence slash twice.                                          *)
(***************************************************************************)
EXTENDS Naturals, FiniteSets

CONSTANTS NMsg, Timeout, MaxHeight, Evidence, EagerTimeout, ArchiveDedup, SlashDedup

ASSUME /\ NMsg \in 1..3
       /\ Timeout \in 1..5
       /\ MaxHeight \in 0..10
       /\ Evidence \in 0..3
       /\ EagerTimeout \in BOOLEAN
       /\ ArchiveDedup \in BOOLEAN
       /\ SlashDedup \in BOOLEAN

Msgs == 1..NMsg

VARIABLES
    h,          \* mainnet height
    st,         \* st[m]: "unsent", "sent" (committed on A, not archived) or "archived"
    sentAt,     \* sentAt[m]: the observed height of A's sending block
    archCount,  \* archCount[m]: archive effects applied (history)
    headExec,   \* messages executed by B's produced blocks
    pendExec,   \* of those, the ones in blocks not yet committed
    execCom,    \* messages executed by B's committed headers (acknowledged)
    headObs,    \* mainnet height observed by B's latest block
    comObs,     \* mainnet height observed by B's latest committed header
    frozenB,    \* B is frozen
    refunded,   \* messages timed out and refunded on mainnet
    srcBal,     \* sender's balance on A
    escrowA,    \* A's escrow on mainnet
    escrowB,    \* B's escrow on mainnet
    refunds,    \* tokens refunded to the sender on mainnet
    slashCount  \* slashCount[e]: times evidence e burned stake

vars == <<h, st, sentAt, archCount, headExec, pendExec, execCom, headObs, comObs, frozenB, refunded, srcBal, escrowA, escrowB, refunds, slashCount>>

TimeoutAt(m) == sentAt[m] + Timeout

Init ==
    /\ h = 0
    /\ st = [m \in Msgs |-> "unsent"]
    /\ sentAt = [m \in Msgs |-> 0]
    /\ archCount = [m \in Msgs |-> 0]
    /\ headExec = {}
    /\ pendExec = {}
    /\ execCom = {}
    /\ headObs = 0
    /\ comObs = 0
    /\ frozenB = FALSE
    /\ refunded = {}
    /\ srcBal = NMsg
    /\ escrowA = NMsg
    /\ escrowB = 0
    /\ refunds = 0
    /\ slashCount = [e \in 1..Evidence |-> 0]

\* @spec SPN-MSG-SEND.1
Send(m) ==
    /\ st[m] = "unsent"
    /\ srcBal >= 1
    /\ st' = [st EXCEPT ![m] = "sent"]
    /\ sentAt' = [sentAt EXCEPT ![m] = h]
    /\ srcBal' = srcBal - 1
    /\ UNCHANGED <<h, archCount, headExec, pendExec, execCom, headObs, comObs, frozenB, refunded, escrowA, escrowB, refunds, slashCount>>

\* @spec SPN-MSG-ARCHIVE.1
Archive(m) ==
    /\ IF ArchiveDedup THEN st[m] = "sent" ELSE st[m] # "unsent"
    /\ st' = [st EXCEPT ![m] = "archived"]
    /\ archCount' = [archCount EXCEPT ![m] = @ + 1]
    /\ escrowA' = escrowA - 1
    /\ escrowB' = escrowB + 1
    /\ UNCHANGED <<h, sentAt, headExec, pendExec, execCom, headObs, comObs, frozenB, refunded, srcBal, refunds, slashCount>>

\* B's operator produces a block observing the current height, executing m or nothing.
\* @spec SPN-MSG-DELIVER.1
Execute(m) ==
    /\ ~frozenB
    /\ st[m] = "archived"
    /\ m \notin headExec
    /\ h < TimeoutAt(m)
    /\ headExec' = headExec \cup {m}
    /\ pendExec' = pendExec \cup {m}
    /\ headObs' = h
    /\ UNCHANGED <<h, st, sentAt, archCount, execCom, comObs, frozenB, refunded, srcBal, escrowA, escrowB, refunds, slashCount>>

EmptyBlock ==
    /\ ~frozenB
    /\ headObs < h
    /\ headObs' = h
    /\ UNCHANGED <<h, st, sentAt, archCount, headExec, pendExec, execCom, comObs, frozenB, refunded, srcBal, escrowA, escrowB, refunds, slashCount>>

\* A relayer commits B's produced blocks; their executions become acknowledgements.
\* @spec SPN-MSG-ACK.1 SPN-HDR-VERIFY.1
Commit ==
    /\ ~frozenB
    /\ pendExec # {} \/ comObs < headObs
    /\ execCom' = execCom \cup pendExec
    /\ pendExec' = {}
    /\ comObs' = headObs
    /\ UNCHANGED <<h, st, sentAt, archCount, headExec, headObs, frozenB, refunded, srcBal, escrowA, escrowB, refunds, slashCount>>

\* @spec SPN-MSG-TIMEOUT.1
Timeout(m) ==
    /\ st[m] = "archived"
    /\ m \notin refunded
    /\ m \notin execCom
    /\ \/ frozenB
       \/ comObs >= TimeoutAt(m)
       \/ EagerTimeout /\ h >= TimeoutAt(m)
    /\ refunded' = refunded \cup {m}
    /\ escrowB' = escrowB - 1
    /\ refunds' = refunds + 1
    /\ UNCHANGED <<h, st, sentAt, archCount, headExec, pendExec, execCom, headObs, comObs, frozenB, srcBal, escrowA, slashCount>>

\* B freezes (its deadline passed; see EscapeHatch.tla): uncommitted blocks die with it.
\* @spec SPN-ESCAPE-FREEZE.1
FreezeB ==
    /\ ~frozenB
    /\ frozenB' = TRUE
    /\ pendExec' = {}
    /\ UNCHANGED <<h, st, sentAt, archCount, headExec, execCom, headObs, comObs, refunded, srcBal, escrowA, escrowB, refunds, slashCount>>

\* @spec SPN-RESTAKE-SLASH.1
Slash(e) ==
    /\ SlashDedup => slashCount[e] = 0
    /\ slashCount[e] < 2
    /\ slashCount' = [slashCount EXCEPT ![e] = @ + 1]
    /\ UNCHANGED <<h, st, sentAt, archCount, headExec, pendExec, execCom, headObs, comObs, frozenB, refunded, srcBal, escrowA, escrowB, refunds>>

Tick ==
    /\ h < MaxHeight
    /\ h' = h + 1
    /\ UNCHANGED <<st, sentAt, archCount, headExec, pendExec, execCom, headObs, comObs, frozenB, refunded, srcBal, escrowA, escrowB, refunds, slashCount>>

Next ==
    \/ \E m \in Msgs : Send(m) \/ Archive(m) \/ Execute(m) \/ Timeout(m)
    \/ EmptyBlock \/ Commit \/ FreezeB \/ Tick
    \/ \E e \in 1..Evidence : Slash(e)

Spec == Init /\ [][Next]_vars

-----------------------------------------------------------------------------
TypeOK ==
    /\ h \in 0..MaxHeight
    /\ \A m \in Msgs : st[m] \in {"unsent", "sent", "archived"}
    /\ pendExec \subseteq headExec
    /\ execCom \subseteq headExec
    /\ comObs <= headObs
    /\ headObs <= h

\* Every token is on A, owed by A's escrow, in B's escrow, or refunded.
\* @spec SPN-BRIDGE-CONSERVATION.1
Conservation == escrowA + escrowB + refunds = NMsg

\* Each escrow holds exactly what its SPN owes.
\* @spec SPN-BRIDGE-ESCROW.1
EscrowBacking ==
    /\ escrowA = srcBal + Cardinality({m \in Msgs : st[m] = "sent"})
    /\ escrowB = Cardinality({m \in Msgs : st[m] = "archived" /\ m \notin refunded /\ m \notin execCom}) + Cardinality(execCom)

\* A message is acknowledged or refunded, never both, and archived at most once.
\* @spec SPN-MSG-EXACTLY-ONCE.1
ExactlyOnce == \A m \in Msgs : ~(m \in refunded /\ m \in execCom) /\ archCount[m] <= 1

\* @spec SPN-RESTAKE-SLASH-ONCE.1
SlashOnce == \A e \in 1..Evidence : slashCount[e] <= 1
=============================================================================
