-------------------------------- MODULE MyBA --------------------------------
(***************************************************************************)
(* One MyBA instance (seq, proposer): binary agreement over {H, ZERO} with *)
(* BVAL amplification, quorum certificates (QC), PROM/AUX phase-2 votes,   *)
(* main-vote certificates, the PROM fast path and the coin rule.           *)
(*                                                                         *)
(* Processes 1..N of stake 1, the set Byzantine of faulty ones, F the      *)
(* faulty stake the thresholds are computed for: quorum N - F, the         *)
(* amplification threshold F + 1. Values: 0 is ZERO, the elements of       *)
(* Hashes are proposal hashes; two hashes model a proposer that            *)
(* equivocates (sends VALs with different hashes to different validators).*)
(* The coin is chosen in Init, so every coin sequence is explored.         *)
(*                                                                         *)
(* Abstractions (argued in the consensus chapter, "Model checking"):       *)
(* - the network is what correct processes have sent (bv, vote); a        *)
(*   process may act on any of it at any time;                             *)
(* - Byzantine processes have no state: they have sent BVAL for every      *)
(*   value in every round, and sign PROM and AUX for every value that has  *)
(*   a QC, so every certificate they could help form is available;         *)
(* - a certificate is described by what the decision rule reads from it:  *)
(*   its values and whether it is pure PROM;                               *)
(* - receiving the proposer's VAL is a nondeterministic choice of hash.    *)
(***************************************************************************)
EXTENDS Naturals, FiniteSets

CONSTANTS N, F, Byzantine, Hashes, MaxRound

ASSUME /\ N \in 1..10
       /\ F \in 0..3
       /\ Byzantine \subseteq 1..N
       /\ Hashes \subseteq 1..3
       /\ MaxRound \in 0..8

Procs   == 1..N
Correct == Procs \ Byzantine
Rounds  == 0..MaxRound
ZERO    == 0
Values  == {ZERO} \cup Hashes
Kinds   == {"prom", "aux"}

\* @spec CONS-VAL-THRESHOLDS.1
Quorum  == N - F
Amplify == F + 1

\* @spec CONS-MYBA-INSTANCE.1
Bit(v) == IF v = ZERO THEN 0 ELSE 1

VARIABLES
    coin,       \* coin[r]: the common coin of round r (fixed in Init)
    round,      \* round[p]: the current round of correct process p
    bv,         \* bv[p][r]: the values correct process p has sent BVAL for in round r
    vote        \* vote[p][r]: p's phase-2 vote in round r, NoVote or VoteCode(v, k)

vars == <<coin, round, bv, vote>>

\* A phase-2 vote as a number: 0 for none, otherwise 1 + 2 * value + (1 for AUX).
NoVote          == 0
VoteCode(v, k)  == 1 + 2 * v + (IF k = "aux" THEN 1 ELSE 0)
VoteCodes       == {NoVote} \cup {VoteCode(v, k) : v \in Values, k \in Kinds}
VotedFor(q, r, v) == vote[q][r] \in {VoteCode(v, "prom"), VoteCode(v, "aux")}

\* Senders of BVAL(r, v): the correct ones that sent it, and every Byzantine one.
BvalSenders(r, v) == {q \in Correct : v \in bv[q][r]} \cup Byzantine

\* @spec CONS-MYBA-QC.1
QC(r, v) == Cardinality(BvalSenders(r, v)) >= Quorum

Own(p, r)    == bv[p][r]
HasP2(p, r)  == vote[p][r] # NoVote
ByzFor(r, V) == IF \A v \in V : QC(r, v) THEN Byzantine ELSE {}

\* Signers available for a main-vote certificate of round r naming the values V.
Support(r, V) == {q \in Correct : \E v \in V : VotedFor(q, r, v)} \cup ByzFor(r, V)
PromSupport(r, v) == {q \in Correct : vote[q][r] = VoteCode(v, "prom")} \cup ByzFor(r, {v})
AuxExists(r, v) == (\E q \in Correct : vote[q][r] = VoteCode(v, "aux")) \/ ByzFor(r, {v}) # {}

\* Certificates of round r, by what the decision rule reads from them.
\* @spec CONS-MYBA-MAINVOTE.1
PureCert(r, v)   == Cardinality(PromSupport(r, v)) >= Quorum
SingleCert(r, v) == Cardinality(Support(r, {v})) >= Quorum /\ AuxExists(r, v)
\* Two values: both need a QC (inner QCs are checked); this also covers a
\* single-value certificate merged with the validator's own valid values.
TwoCert(r, V)    == Cardinality(V) = 2 /\ (\A v \in V : QC(r, v)) /\ Cardinality(Support(r, V)) >= Quorum

\* The estimate the coin rule gives for two values.
\* @spec CONS-MYBA-COIN.1
TwoEstimate(r, V) == IF coin[r] = 0 THEN ZERO
                     ELSE CHOOSE v \in V : v # ZERO /\ \A w \in V : w # ZERO => v <= w

-----------------------------------------------------------------------------
Init ==
    /\ coin \in [Rounds -> {0, 1}]
    /\ round = [p \in Correct |-> 0]
    /\ bv = [p \in Correct |-> [r \in Rounds |-> {}]]
    /\ vote = [p \in Correct |-> [r \in Rounds |-> NoVote]]

\* Endorse a hash in round 0: on a VAL (any hash, the proposer may equivocate)
\* or after BVALs from more than F; only as the first BVAL of the round.
\* (A validator that has itself seen a quorum of BVAL(0, h) does not
\* endorse h, but that quorum is local: a QC here counts the Byzantine BVALs
\* the validator may not have received, so that rule is not a guard of the
\* abstraction: runs of the TS model take such steps.)
\* @spec CONS-MYBA-ENDORSE.1
Endorse(p, h) ==
    /\ round[p] = 0
    /\ Own(p, 0) = {}
    /\ ~HasP2(p, 0)
    /\ bv' = [bv EXCEPT ![p][0] = @ \cup {h}]
    /\ UNCHANGED <<coin, round, vote>>

\* The ZERO vote of round 0 (after PASS), allowed before the phase-2 vote.
\* @spec CONS-MYBA-ZERO-VOTE.1
VoteZero(p) ==
    /\ round[p] = 0
    /\ ZERO \notin Own(p, 0)
    /\ ~HasP2(p, 0)
    /\ bv' = [bv EXCEPT ![p][0] = @ \cup {ZERO}]
    /\ UNCHANGED <<coin, round, vote>>

\* @spec CONS-MYBA-AMPLIFY.1 CONS-MYBA-PHASE2-STOP.1
AmplifyBval(p, v) ==
    LET r == round[p] IN
    /\ r > 0
    /\ v \notin Own(p, r)
    /\ ~HasP2(p, r)
    /\ Cardinality(BvalSenders(r, v)) >= Amplify
    /\ bv' = [bv EXCEPT ![p][r] = @ \cup {v}]
    /\ UNCHANGED <<coin, round, vote>>

\* One phase-2 vote per round, for a value with a QC: PROM if no BVAL for
\* another value was sent in this round, AUX otherwise.
\* @spec CONS-MYBA-PHASE2.1
Phase2(p, v) ==
    LET r == round[p] IN
    /\ ~HasP2(p, r)
    /\ QC(r, v)
    /\ vote' = [vote EXCEPT ![p][r] = VoteCode(v, IF Own(p, r) \subseteq {v} THEN "prom" ELSE "aux")]
    /\ UNCHANGED <<coin, round, bv>>

NextRound(p, est) ==
    /\ round[p] < MaxRound
    /\ round' = [round EXCEPT ![p] = round[p] + 1]
    /\ bv' = [bv EXCEPT ![p][round[p] + 1] = @ \cup {est}]
    /\ UNCHANGED <<coin, vote>>

\* A single-value certificate whose value's bit is not the coin: the value
\* is the next estimate. (With the coin equal to the bit the process decides,
\* which the invariants read from the certificates, see Decidable.)
\* @spec CONS-MYBA-COIN.1 CONS-MYBA-NEXT-ROUND.1
CoinSingle(p, v) ==
    /\ SingleCert(round[p], v)
    /\ Bit(v) # coin[round[p]]
    /\ NextRound(p, v)

\* @spec CONS-MYBA-COIN.1 CONS-MYBA-NEXT-ROUND.1
CoinTwo(p, V) ==
    /\ TwoCert(round[p], V)
    /\ NextRound(p, TwoEstimate(round[p], V))

Next ==
    \/ \E p \in Correct, h \in Hashes : Endorse(p, h)
    \/ \E p \in Correct : VoteZero(p)
    \/ \E p \in Correct, v \in Values : AmplifyBval(p, v)
    \/ \E p \in Correct, v \in Values : Phase2(p, v)
    \/ \E p \in Correct, v \in Values : CoinSingle(p, v)
    \/ \E p \in Correct, V \in SUBSET Values : CoinTwo(p, V)

\* Bounded rounds: behaviours end when no process can move, so the configs
\* turn deadlock checking off. A process that could decide may still act:
\* that only adds behaviours, which is sound for the safety invariants.
Spec == Init /\ [][Next]_vars

-----------------------------------------------------------------------------
\* What a correct process in round rr may decide: with a certificate of a
\* round r <= rr, pure PROM (CONS-MYBA-FAST.1), or a single value whose bit
\* is the coin of r (CONS-MYBA-COIN.1, CONS-MYBA-OLD-CERT.1).
\* @spec CONS-MYBA-FAST.1 CONS-MYBA-OLD-CERT.1
DecidableUpTo(rr) ==
    {v \in Values : \E r \in 0..rr :
        PureCert(r, v) \/ (SingleCert(r, v) /\ Bit(v) = coin[r])}

Decidable == UNION {DecidableUpTo(round[p]) : p \in Correct}

-----------------------------------------------------------------------------
TypeOK ==
    /\ coin \in [Rounds -> {0, 1}]
    /\ round \in [Correct -> Rounds]
    /\ bv \in [Correct -> [Rounds -> SUBSET Values]]
    /\ vote \in [Correct -> [Rounds -> VoteCodes]]

\* No two values are decidable by correct processes.
\* @spec CONS-MYBA-AGREEMENT.1
Agreement == Cardinality(Decidable) <= 1

\* A decidable value was sent in a BVAL by a correct process.
\* @spec CONS-MYBA-VALIDITY.1
Validity == \A v \in Decidable : \E q \in Correct, r \in Rounds : v \in bv[q][r]

\* Whatever certificate a correct process uses, from its current round or
\* an earlier one, it decides the same value: deciding once is deciding
\* for good.
\* @spec CONS-MYBA-INTEGRITY.1 CONS-MYBA-DECIDE-ONCE.1
Integrity == \A p \in Correct : Cardinality(DecidableUpTo(round[p])) <= 1

\* PROM for v from a quorum in round r: no other value has a QC in round r.
\* @spec CONS-MYBA-PROMISE-LOCK.1
PromiseLock ==
    \A r \in Rounds, v \in Values :
        PureCert(r, v) => \A w \in Values \ {v} : ~QC(r, w)
=============================================================================
