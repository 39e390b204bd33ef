------------------------------- MODULE Tumbler -------------------------------
(***************************************************************************)
(* MyTumbler over sequence numbers 1..MaxSeq with binary agreement         *)
(* abstracted: each MyBA instance (s, p) decides H (the proposal of p) or  *)
(* ZERO once, for every correct validator alike, which is what MyBA's      *)
(* Agreement and Integrity guarantee (MyBA.tla). Proposing, SKIP, PASS     *)
(* with endorsed sets, the drop rule, completion, the block ordered by     *)
(* proposer id, and the ledger with deduplication of transactions.         *)
(*                                                                         *)
(* Processes 1..N of stake 1, the set Byzantine of faulty ones, F the      *)
(* faulty stake the thresholds are computed for. Proposers is the set of   *)
(* validators that have an instance in each sequence number. Txs is a     *)
(* tiny set of transactions: a correct proposer proposes the transactions *)
(* designated to it in every sequence number, and a Byzantine proposer    *)
(* proposes all of them, so one transaction is proposed by two proposers  *)
(* (and, with MaxSeq > 1, in two sequence numbers). Dedup switches the    *)
(* deduplication rule on.                                                  *)
(*                                                                         *)
(* Abstractions (argued in the consensus chapter, "Model checking"):       *)
(* - a decision is one global value per instance; a validator reads it    *)
(*   whenever it likes. H may be decided only with a QC(0, H), whose       *)
(*   signers are the correct endorsers and every Byzantine validator;      *)
(*   ZERO only after some correct validator passed (it then votes ZERO);  *)
(* - Byzantine validators have no state: they have sent VAL (with every   *)
(*   transaction in it) and BVAL(0, H) in every instance of a             *)
(*   Byzantine proposer, and PASS with an empty endorsed set, so every    *)
(*   QC and every drop they could help form is available;                  *)
(* - the PASS messages are what correct validators have sent; a validator *)
(*   may act on any of them at any time (the drop and completion guards   *)
(*   are monotone in the PASS messages received);                          *)
(* - the drop rule is applied at completion: a validator drops any subset *)
(*   of the instances the rule allows, including instances decided        *)
(*   elsewhere that it has not learnt of yet;                              *)
(* - payload retrieval succeeds (CONS-TUMB-RETRIEVE.1) and timers expire  *)
(*   at any time, so PASS is allowed at any time; timestamps are left out. *)
(***************************************************************************)
EXTENDS Naturals, FiniteSets, Sequences

CONSTANTS N, F, Byzantine, Proposers, MaxSeq, Txs, Dedup

ASSUME /\ N \in 1..4
       /\ F \in 0..3
       /\ Byzantine \subseteq 1..N
       /\ Proposers \subseteq 1..N
       /\ Proposers # {}
       /\ MaxSeq \in 1..3
       /\ Txs \subseteq 0..7
       /\ Dedup \in BOOLEAN

Procs   == 1..N
Correct == Procs \ Byzantine
Seqs    == 1..MaxSeq
Honest  == Proposers \ Byzantine

\* @spec CONS-VAL-THRESHOLDS.1
Quorum  == N - F

\* Decisions of a MyBA instance.
NONE == 0
H    == 1
ZERO == 2

\* The k-th proposer in ascending id.
\* @spec CONS-LEDGER-MAP.1
ProposerAt(k) == CHOOSE q \in Proposers : Cardinality({x \in Proposers : x <= q}) = k

\* The proposer a transaction is designated to: index (t mod k) of the
\* proposers sorted by id (t stands for the partition byte of its hash).
\* @spec CONS-LEDGER-MAP.1
Designated(t) == ProposerAt((t % Cardinality(Proposers)) + 1)

\* A sequence of the transactions in T, ascending.
SeqOf(T) == [k \in 1..Cardinality(T) |->
                CHOOSE t \in T : Cardinality({x \in T : x <= t}) = k]

Range(S) == {S[i] : i \in DOMAIN S}

\* What a Byzantine proposer proposes: every transaction, in descending
\* order, so it duplicates every correct proposer's transactions and lists
\* them out of their designated order.
ByzPayload == [k \in 1..Cardinality(Txs) |->
                  CHOOSE t \in Txs : Cardinality({x \in Txs : x >= t}) = k]

VARIABLES
    seq,       \* seq[v]: the current sequence number of correct validator v
    proposed,  \* proposed[s]: the correct proposers that sent VAL in s
    skipped,   \* skipped[s]: the correct proposers that sent SKIP in s
    endorsed,  \* endorsed[v][s]: the proposers correct validator v endorsed in s
    passed,    \* passed[s]: the correct validators that sent PASS in s
    dec,       \* dec[s][p]: the decision of MyBA instance (s, p): NONE, H or ZERO
    dropped,   \* dropped[v][s]: the instances v dropped when it completed s
    ledger     \* ledger[v]: the transactions v executes, in order

vars == <<seq, proposed, skipped, endorsed, passed, dec, dropped, ledger>>

\* What a correct proposer proposes: every transaction designated to it, in
\* every sequence number (it proposes for s + 1 before the block of s is
\* known, so it cannot leave out what s will execute).
\* @spec CONS-LEDGER-MAP.1 CONS-TUMB-VAL.1
HonestPayload(v) == SeqOf({t \in Txs : Designated(t) = v})

\* The payload of proposer p's VAL (the same in every sequence number).
Pay(p) == IF p \in Byzantine THEN ByzPayload ELSE HonestPayload(p)

\* Senders of BVAL(0, H) in instance (s, p): the correct endorsers and every
\* Byzantine validator.
\* @spec CONS-MYBA-QC.1 CONS-MYBA-ENDORSE.1
Endorsers(s, p) == {c \in Correct : p \in endorsed[c][s]} \cup Byzantine

\* Senders of PASS(s) whose endorsed set does not list p: correct passers
\* that had not endorsed p (they never endorse after passing), and every
\* Byzantine validator.
\* @spec CONS-TUMB-DROP.1 CONS-TUMB-NO-ENDORSE-AFTER-PASS.1
NotListing(s, p) == {c \in passed[s] : p \notin endorsed[c][s]} \cup Byzantine

\* @spec CONS-TUMB-QUORUM-PASS.1
QuorumPass(s) == Cardinality(passed[s] \cup Byzantine) >= Quorum

\* @spec CONS-TUMB-DROP.1
Droppable(s) == {p \in Proposers : Cardinality(NotListing(s, p)) >= Quorum}

-----------------------------------------------------------------------------
Init ==
    /\ seq = [v \in Correct |-> 1]
    /\ proposed = [s \in Seqs |-> {}]
    /\ skipped = [s \in Seqs |-> {}]
    /\ endorsed = [v \in Correct |-> [s \in Seqs |-> {}]]
    /\ passed = [s \in Seqs |-> {}]
    /\ dec = [s \in Seqs |-> [p \in Proposers |-> NONE]]
    /\ dropped = [v \in Correct |-> [s \in Seqs |-> {}]]
    /\ ledger = [v \in Correct |-> <<>>]

\* A correct proposer proposes once per sequence number, unless it skipped,
\* and endorses its own proposal unless it has passed.
\* @spec CONS-TUMB-VAL.1 CONS-TUMB-NO-ENDORSE-AFTER-PASS.1
Propose(v) ==
    LET s == seq[v] IN
    /\ s <= MaxSeq
    /\ v \in Honest
    /\ v \notin proposed[s] \cup skipped[s]
    /\ proposed' = [proposed EXCEPT ![s] = @ \cup {v}]
    /\ endorsed' = IF v \in passed[s] THEN endorsed
                   ELSE [endorsed EXCEPT ![v][s] = @ \cup {v}]
    /\ UNCHANGED <<seq, skipped, passed, dec, dropped, ledger>>

\* A correct proposer that has not proposed skips once some instance of s
\* has decided a hash.
\* @spec CONS-TUMB-SKIP.1
Skip(v) ==
    LET s == seq[v] IN
    /\ s <= MaxSeq
    /\ v \in Honest
    /\ v \notin proposed[s] \cup skipped[s]
    /\ \E p \in Proposers : dec[s][p] = H
    /\ skipped' = [skipped EXCEPT ![s] = @ \cup {v}]
    /\ UNCHANGED <<seq, proposed, endorsed, passed, dec, dropped, ledger>>

\* Endorse p's proposal in the current sequence number, never after passing.
\* @spec CONS-TUMB-VAL-ACCEPT.1 CONS-MYBA-ENDORSE.1 CONS-TUMB-NO-ENDORSE-AFTER-PASS.1
Endorse(v, p) ==
    LET s == seq[v] IN
    /\ s <= MaxSeq
    /\ v \notin passed[s]
    /\ p \notin endorsed[v][s]
    /\ p \in Byzantine \/ p \in proposed[s]
    /\ endorsed' = [endorsed EXCEPT ![v][s] = @ \cup {p}]
    /\ UNCHANGED <<seq, proposed, skipped, passed, dec, dropped, ledger>>

\* PASS(s, endorsed set), once; some timer may expire at any time.
\* @spec CONS-TUMB-PASS.1 CONS-TUMB-ENDORSED-SET.1
Pass(v) ==
    LET s == seq[v] IN
    /\ s <= MaxSeq
    /\ v \notin passed[s]
    /\ passed' = [passed EXCEPT ![s] = @ \cup {v}]
    /\ UNCHANGED <<seq, proposed, skipped, endorsed, dec, dropped, ledger>>

\* MyBA decides H: a QC(0, H) exists.
\* @spec CONS-MYBA-QC.1 CONS-MYBA-AGREEMENT.1 CONS-MYBA-DECIDE-ONCE.1
DecideH(s, p) ==
    /\ dec[s][p] = NONE
    /\ p \in Byzantine \/ p \in proposed[s]
    /\ Cardinality(Endorsers(s, p)) >= Quorum
    /\ dec' = [dec EXCEPT ![s][p] = H]
    /\ UNCHANGED <<seq, proposed, skipped, endorsed, passed, dropped, ledger>>

\* MyBA decides ZERO: some correct validator voted ZERO, which it does
\* only after passing (MyBA's Validity).
\* @spec CONS-MYBA-ZERO-VOTE.1 CONS-MYBA-VALIDITY.1 CONS-MYBA-DECIDE-ONCE.1
DecideZero(s, p) ==
    /\ dec[s][p] = NONE
    /\ passed[s] # {}
    /\ dec' = [dec EXCEPT ![s][p] = ZERO]
    /\ UNCHANGED <<seq, proposed, skipped, endorsed, passed, dropped, ledger>>

\* The transactions of block s without the instances D, proposals in
\* ascending proposer id, each in payload order (N <= 4 proposers).
\* @spec CONS-TUMB-OUTPUT.1 CONS-LEDGER-ORDER.1
Part(s, D, p) == IF p \in Proposers /\ p \notin D /\ dec[s][p] = H THEN Pay(p) ELSE <<>>
BlockTxs(s, D) == Part(s, D, 1) \o Part(s, D, 2) \o Part(s, D, 3) \o Part(s, D, 4)

\* Append S to the ledger L, skipping (with Dedup) every transaction that
\* occurred before: first occurrence wins.
\* @spec CONS-LEDGER-DEDUP.1
Kept(L, S) == {i \in 1..Len(S) :
                 Dedup => (S[i] \notin Range(L) /\ \A j \in 1..(i - 1) : S[j] # S[i])}
AppendBlock(L, S) ==
    LET K == Kept(L, S) IN
    L \o [k \in 1..Cardinality(K) |-> S[CHOOSE i \in K : Cardinality({j \in K : j <= i}) = k]]

\* Complete s: PASS from a quorum, and every instance decided or dropped.
\* @spec CONS-TUMB-COMPLETE.1 CONS-TUMB-QUORUM-PASS.1 CONS-TUMB-DROP.1 CONS-TUMB-PENDING.1
Complete(v, D) ==
    LET s == seq[v] IN
    /\ s <= MaxSeq
    /\ QuorumPass(s)
    /\ D \subseteq Droppable(s)
    /\ \A p \in Proposers \ D : dec[s][p] # NONE
    /\ dropped' = [dropped EXCEPT ![v][s] = D]
    /\ ledger' = [ledger EXCEPT ![v] = AppendBlock(@, BlockTxs(s, D))]
    /\ seq' = [seq EXCEPT ![v] = s + 1]
    /\ UNCHANGED <<proposed, skipped, endorsed, passed, dec>>

Next ==
    \/ \E v \in Correct : Propose(v) \/ Skip(v) \/ Pass(v)
    \/ \E v \in Correct, p \in Proposers : Endorse(v, p)
    \/ \E s \in Seqs, p \in Proposers : DecideH(s, p) \/ DecideZero(s, p)
    \/ \E v \in Correct, D \in SUBSET Proposers : Complete(v, D)

\* Bounded sequence numbers: behaviours end when every correct validator has
\* completed MaxSeq, so the configs turn deadlock checking off.
Spec == Init /\ [][Next]_vars

-----------------------------------------------------------------------------
Completed(v, s) == s < seq[v]

\* The proposers whose proposals v put in block s.
Included(v, s) == {p \in Proposers \ dropped[v][s] : dec[s][p] = H}

IsPrefix(a, b) == Len(a) <= Len(b) /\ \A i \in 1..Len(a) : a[i] = b[i]

TypeOK ==
    /\ seq \in [Correct -> 1..(MaxSeq + 1)]
    /\ proposed \in [Seqs -> SUBSET Honest]
    /\ skipped \in [Seqs -> SUBSET Honest]
    /\ endorsed \in [Correct -> [Seqs -> SUBSET Proposers]]
    /\ passed \in [Seqs -> SUBSET Correct]
    /\ dec \in [Seqs -> [Proposers -> {NONE, H, ZERO}]]
    /\ dropped \in [Correct -> [Seqs -> SUBSET Proposers]]
    /\ \A v \in Correct : Range(ledger[v]) \subseteq Txs

\* The ledgers of two correct validators are prefixes of one another.
\* @spec CONS-SAFETY-PREFIX.1
PrefixConsistent ==
    \A v, w \in Correct : IsPrefix(ledger[v], ledger[w]) \/ IsPrefix(ledger[w], ledger[v])

\* Two correct validators that completed s put the same proposals in it.
\* @spec CONS-SAFETY-BLOCK.1
BlockAgreement ==
    \A v, w \in Correct, s \in Seqs :
        Completed(v, s) /\ Completed(w, s) => Included(v, s) = Included(w, s)

\* No transaction occurs twice in a ledger.
\* @spec CONS-SAFETY-NO-DUP.1 CONS-LEDGER-DEDUP.1
NoDuplicate ==
    \A v \in Correct : \A i, j \in 1..Len(ledger[v]) : i < j => ledger[v][i] # ledger[v][j]

\* A completed sequence number left no instance undecided but the dropped.
\* @spec CONS-TUMB-COMPLETE.1
CompletionDecided ==
    \A v \in Correct, s \in Seqs :
        Completed(v, s) => \A p \in Proposers \ dropped[v][s] : dec[s][p] # NONE

\* A dropped instance never decides H.
\* @spec CONS-TUMB-DROP.1
DropSafety ==
    \A v \in Correct, s \in Seqs :
        Completed(v, s) => \A p \in dropped[v][s] : dec[s][p] # H
=============================================================================
