---------------------------- MODULE TumblerLedger ----------------------------
(***************************************************************************)
(* The ledger over sequence numbers 1..MaxSeq, with each sequence number   *)
(* abstracted to what Tumbler.tla guarantees for it: every correct         *)
(* validator that completes s puts the same proposals in block s           *)
(* (BlockAgreement, CompletionDecided and DropSafety, checked there for    *)
(* one sequence number). Which proposals that block holds is chosen by the *)
(* first validator to complete s, any subset of the proposers; validators  *)
(* complete sequence numbers at their own pace, each appending the block   *)
(* to its ledger with the deduplication rule.                             *)
(*                                                                         *)
(* Payloads are as in Tumbler.tla: a correct proposer proposes the         *)
(* transactions designated to it in every sequence number (it proposes for *)
(* s + 1 before block s is known), and a Byzantine proposer proposes every *)
(* transaction in descending order, so transactions repeat within a block  *)
(* and across blocks. Agreed = FALSE drops the per-sequence-number         *)
(* guarantee (each validator completes with any block), which is what more *)
(* than F Byzantine validators can cause (MC_Tumbler_n4byz2.cfg).           *)
(***************************************************************************)
EXTENDS Naturals, FiniteSets, Sequences

CONSTANTS N, Byzantine, Proposers, MaxSeq, Txs, Dedup, Agreed

ASSUME /\ N \in 1..4
       /\ Byzantine \subseteq 1..N
       /\ Proposers \subseteq 1..N
       /\ Proposers # {}
       /\ MaxSeq \in 1..4
       /\ Txs \subseteq 0..7
       /\ Dedup \in BOOLEAN
       /\ Agreed \in BOOLEAN

Correct == (1..N) \ Byzantine
Seqs    == 1..MaxSeq
\* The block of a sequence number no validator has completed yet.
NoBlock == {0}

\* @spec CONS-LEDGER-MAP.1
ProposerAt(k) == CHOOSE q \in Proposers : Cardinality({x \in Proposers : x <= q}) = k
Designated(t) == ProposerAt((t % Cardinality(Proposers)) + 1)

SeqOf(T) == [k \in 1..Cardinality(T) |-> CHOOSE t \in T : Cardinality({x \in T : x <= t}) = k]
Range(S) == {S[i] : i \in DOMAIN S}
ByzPayload == [k \in 1..Cardinality(Txs) |-> CHOOSE t \in Txs : Cardinality({x \in Txs : x >= t}) = k]

\* @spec CONS-LEDGER-MAP.1 CONS-TUMB-VAL.1
Pay(p) == IF p \in Byzantine THEN ByzPayload ELSE SeqOf({t \in Txs : Designated(t) = p})

VARIABLES
    seq,     \* seq[v]: the sequence number correct validator v works on
    block,   \* block[s]: the proposers included in block s, NoBlock before anyone completed s
    ledger   \* ledger[v]: the transactions v executes, in order

vars == <<seq, block, ledger>>

\* The transactions of a block of the proposers B, in ascending proposer id
\* (N <= 4 proposers), each payload in its order.
\* @spec CONS-TUMB-OUTPUT.1 CONS-LEDGER-ORDER.1
Part(B, p) == IF p \in B THEN Pay(p) ELSE <<>>
BlockTxs(B) == Part(B, 1) \o Part(B, 2) \o Part(B, 3) \o Part(B, 4)

\* @spec CONS-LEDGER-DEDUP.1
Kept(L, S) == {i \in 1..Len(S) :
                 Dedup => (S[i] \notin Range(L) /\ \A j \in 1..(i - 1) : S[j] # S[i])}
AppendBlock(L, S) ==
    LET K == Kept(L, S) IN
    L \o [k \in 1..Cardinality(K) |-> S[CHOOSE i \in K : Cardinality({j \in K : j <= i}) = k]]

Init ==
    /\ seq = [v \in Correct |-> 1]
    /\ block = [s \in Seqs |-> NoBlock]
    /\ ledger = [v \in Correct |-> <<>>]

\* v completes its sequence number with the block of the proposers B.
\* @spec CONS-TUMB-COMPLETE.1 CONS-SAFETY-BLOCK.1
Complete(v, B) ==
    LET s == seq[v] IN
    /\ s <= MaxSeq
    /\ Agreed => block[s] \in {NoBlock, B}
    /\ block' = IF block[s] = NoBlock THEN [block EXCEPT ![s] = B] ELSE block
    /\ ledger' = [ledger EXCEPT ![v] = AppendBlock(@, BlockTxs(B))]
    /\ seq' = [seq EXCEPT ![v] = s + 1]

Next == \E v \in Correct, B \in SUBSET Proposers : Complete(v, B)

\* @spec CONS-MC-LEDGER.1
Spec == Init /\ [][Next]_vars

-----------------------------------------------------------------------------
IsPrefix(a, b) == Len(a) <= Len(b) /\ \A i \in 1..Len(a) : a[i] = b[i]

TypeOK ==
    /\ seq \in [Correct -> 1..(MaxSeq + 1)]
    /\ block \in [Seqs -> (SUBSET Proposers) \cup {NoBlock}]
    /\ \A v \in Correct : Range(ledger[v]) \subseteq Txs

\* @spec CONS-SAFETY-PREFIX.1
PrefixConsistent ==
    \A v, w \in Correct : IsPrefix(ledger[v], ledger[w]) \/ IsPrefix(ledger[w], ledger[v])

\* @spec CONS-SAFETY-NO-DUP.1 CONS-LEDGER-DEDUP.1
NoDuplicate ==
    \A v \in Correct : \A i, j \in 1..Len(ledger[v]) : i < j => ledger[v][i] # ledger[v][j]

\* Deduplication loses nothing: every transaction of every block a validator
\* completed is in its ledger.
\* @spec CONS-LEDGER-DEDUP.1
NoLoss ==
    \A v \in Correct, s \in Seqs :
        s < seq[v] /\ block[s] # NoBlock => Range(BlockTxs(block[s])) \subseteq Range(ledger[v])
=============================================================================
