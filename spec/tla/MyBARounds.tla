----------------------------- MODULE MyBARounds -----------------------------
(***************************************************************************)
(* One MyBA instance over rounds 0..MaxRound with every coin sequence:     *)
(* MyBA.tla made small enough to check exhaustively, by three              *)
(* abstractions argued in the consensus chapter ("Model checking", "MyBA   *)
(* over rounds"):                                                          *)
(* - the network and the Byzantine validators as in MyBA.tla: guards read  *)
(*   everything correct validators have sent, and Byzantine validators     *)
(*   count as having sent BVAL for every value and PROM/AUX for every      *)
(*   value with a QC;                                                      *)
(* - counter abstraction: correct validators are interchangeable, so the   *)
(*   state holds the bag (multiset) of their local states, not who is who; *)
(* - sequentialized rounds: only one round is open. Actions of different   *)
(*   rounds commute (a round-r guard reads only round-r messages), so      *)
(*   every finite behaviour of MyBA.tla can be reordered round by round    *)
(*   into a behaviour of this module that ends with the same certificates. *)
(*   Close ends the open round at any time after some validator left it:   *)
(*   the validators that left enter the next round with their estimate,    *)
(*   the others stay behind for good, and what the invariants need from    *)
(*   the closed round is kept: the values each validator could decide.     *)
(* The coin of a round is chosen when the round opens, so every coin       *)
(* sequence is explored.                                                   *)
(***************************************************************************)
EXTENDS Naturals, FiniteSets, Sequences, Bags

CONSTANTS N, F, Byzantine, Hashes, MaxRound, PromLock

ASSUME /\ N \in 1..10
       /\ F \in 0..3
       /\ Byzantine \subseteq 1..N
       /\ Hashes \subseteq 1..3
       /\ MaxRound \in 0..4
       /\ PromLock \in BOOLEAN

Procs   == 1..N
Correct == Procs \ Byzantine
NByz    == Cardinality(Byzantine)
ZERO    == 0
Values  == {ZERO} \cup Hashes
Kinds   == {"prom", "aux"}
\* The estimate of a validator that has not left the open round.
NoEst   == 9

\* @spec CONS-VAL-THRESHOLDS.1
Quorum  == N - F
Amplify == F + 1

\* @spec CONS-MYBA-INSTANCE.1
Bit(v) == IF v = ZERO THEN 0 ELSE 1

VARIABLES
    coin,   \* <<coin of round 0, ..., coin of the open round>>
    procs   \* the bag of the correct validators' local states

vars == <<coin, procs>>

\* A local state: the values sent BVAL for in the open round (own), the
\* phase-2 vote of the open round (vote), the estimate the validator left
\* the open round with (est), and the values it could decide with the
\* certificates of the closed rounds it took part in (dec).
Local(o, vt, e, d) == [own |-> o, vote |-> vt, est |-> e, dec |-> d]

Cur     == Len(coin) - 1
CoinNow == coin[Len(coin)]

NoVote         == 0
VoteCode(v, k) == 1 + 2 * v + (IF k = "aux" THEN 1 ELSE 0)
Voted(l, v)    == l.vote \in {VoteCode(v, "prom"), VoteCode(v, "aux")}

\* In round 0 every correct validator takes part; in a later round those
\* that entered it with an estimate, which is their first BVAL.
InRound(l) == Cur = 0 \/ l.own # {}
Active(l)  == InRound(l) /\ l.est = NoEst

Locals   == DOMAIN procs
Count(S) == BagCardinality([l \in S |-> procs[l]])

\* Senders of BVAL(v) in the open round: the correct ones and every Byzantine one.
Bvals(v) == Count({l \in Locals : v \in l.own}) + NByz

\* @spec CONS-MYBA-QC.1
QC(v) == Bvals(v) >= Quorum

\* Byzantine signers of a main-vote certificate naming the values V.
ByzFor(V) == IF \A v \in V : QC(v) THEN NByz ELSE 0
Support(V) == Count({l \in Locals : \E v \in V : Voted(l, v)}) + ByzFor(V)

\* Certificates of the open round, by what the decision rule reads from them.
\* @spec CONS-MYBA-MAINVOTE.1
PureCert(v)   == Count({l \in Locals : l.vote = VoteCode(v, "prom")}) + ByzFor({v}) >= Quorum
SingleCert(v) == /\ Support({v}) >= Quorum
                 /\ (\E l \in Locals : l.vote = VoteCode(v, "aux")) \/ ByzFor({v}) > 0
TwoCert(V)    == (\A v \in V : QC(v)) /\ Support(V) >= Quorum

\* @spec CONS-MYBA-COIN.1
TwoEstimate(V) == IF CoinNow = 0 THEN ZERO
                  ELSE CHOOSE v \in V : v # ZERO /\ \A w \in V : w # ZERO => v <= w

Pairs == {{v, w} : v \in Values, w \in Values} \ {{v} : v \in Values}

\* What a validator of the open round may decide with its certificates.
\* @spec CONS-MYBA-FAST.1 CONS-MYBA-COIN.1
DecidableNow == {v \in Values : PureCert(v) \/ (SingleCert(v) /\ Bit(v) = CoinNow)}

-----------------------------------------------------------------------------
Init ==
    /\ coin \in {<<0>>, <<1>>}
    /\ procs = [l \in {Local({}, NoVote, NoEst, {})} |-> Cardinality(Correct)]

\* One validator in local state l moves to local state l2.
Move(l, l2) == procs' = (procs (-) SetToBag({l})) (+) SetToBag({l2})

\* The PROM lock: no further BVAL in a round after the phase-2 vote.
\* @spec CONS-MYBA-PHASE2-STOP.1
Unlocked(l) == PromLock => l.vote = NoVote

\* @spec CONS-MYBA-ENDORSE.1
Endorse(l, h) ==
    /\ Cur = 0 /\ l.est = NoEst /\ l.own = {} /\ l.vote = NoVote
    /\ Move(l, [l EXCEPT !.own = {h}])
    /\ UNCHANGED coin

\* @spec CONS-MYBA-ZERO-VOTE.1
VoteZero(l) ==
    /\ Cur = 0 /\ l.est = NoEst /\ ZERO \notin l.own /\ Unlocked(l)
    /\ Move(l, [l EXCEPT !.own = @ \cup {ZERO}])
    /\ UNCHANGED coin

\* @spec CONS-MYBA-AMPLIFY.1 CONS-MYBA-PHASE2-STOP.1
AmplifyBval(l, v) ==
    /\ Cur > 0 /\ Active(l) /\ v \notin l.own /\ Unlocked(l)
    /\ Bvals(v) >= Amplify
    /\ Move(l, [l EXCEPT !.own = @ \cup {v}])
    /\ UNCHANGED coin

\* @spec CONS-MYBA-PHASE2.1
Phase2(l, v) ==
    /\ Active(l) /\ l.vote = NoVote /\ QC(v)
    /\ Move(l, [l EXCEPT !.vote = VoteCode(v, IF l.own \subseteq {v} THEN "prom" ELSE "aux")])
    /\ UNCHANGED coin

Leave(l, e) ==
    /\ Cur < MaxRound /\ Active(l)
    /\ Move(l, [l EXCEPT !.est = e])
    /\ UNCHANGED coin

\* @spec CONS-MYBA-COIN.1 CONS-MYBA-NEXT-ROUND.1
CoinSingle(l, v) == SingleCert(v) /\ Bit(v) # CoinNow /\ Leave(l, v)

\* @spec CONS-MYBA-COIN.1 CONS-MYBA-NEXT-ROUND.1
CoinTwo(l, V) == TwoCert(V) /\ Leave(l, TwoEstimate(V))

\* A local state once the open round is closed with the decidable values D.
Closed(l, D) ==
    IF InRound(l) THEN Local(IF l.est = NoEst THEN {} ELSE {l.est}, NoVote, NoEst, l.dec \cup D)
    ELSE Local({}, NoVote, NoEst, l.dec)

\* Close the open round and open the next with coin c.
\* @spec CONS-MYBA-NEXT-ROUND.1 CONS-MYBA-OLD-CERT.1
Close(c) ==
    /\ Cur < MaxRound
    /\ \E l \in Locals : l.est # NoEst
    /\ coin' = Append(coin, c)
    /\ LET D   == DecidableNow
           Img == {Closed(l, D) : l \in Locals}
       IN  procs' = [m \in Img |-> Count({l \in Locals : Closed(l, D) = m})]

Next ==
    \/ \E l \in Locals, h \in Hashes : Endorse(l, h)
    \/ \E l \in Locals : VoteZero(l)
    \/ \E l \in Locals, v \in Values : AmplifyBval(l, v) \/ Phase2(l, v) \/ CoinSingle(l, v)
    \/ \E l \in Locals, V \in Pairs : CoinTwo(l, V)
    \/ \E c \in {0, 1} : Close(c)

\* Bounded rounds: behaviours end when nothing is enabled, so the configs
\* turn deadlock checking off.
\* @spec CONS-MC-ROUNDS.1
Spec == Init /\ [][Next]_vars

-----------------------------------------------------------------------------
Decided == UNION {l.dec : l \in Locals}

TypeOK ==
    /\ Len(coin) \in 1..(MaxRound + 1)
    /\ BagCardinality(procs) = Cardinality(Correct)
    /\ \A l \in Locals : l.own \subseteq Values /\ l.dec \subseteq Values /\ l.est \in Values \cup {NoEst}

\* At most one value is decidable, over all rounds.
\* @spec CONS-MYBA-AGREEMENT.1
Agreement == Cardinality(Decided \cup DecidableNow) <= 1

\* No validator can decide two values with the certificates of the rounds it
\* took part in.
\* @spec CONS-MYBA-INTEGRITY.1 CONS-MYBA-DECIDE-ONCE.1
Integrity == \A l \in Locals : Cardinality(l.dec \cup (IF InRound(l) THEN DecidableNow ELSE {})) <= 1

\* A value decidable in the open round was sent in a BVAL of that round by a
\* correct validator (closed rounds were checked while they were open).
\* @spec CONS-MYBA-VALIDITY.1
Validity == \A v \in DecidableNow : \E l \in Locals : v \in l.own

\* @spec CONS-MYBA-PROMISE-LOCK.1
PromiseLock == \A v \in Values : PureCert(v) => \A w \in Values \ {v} : ~QC(w)

\* Once a value is decidable, every validator leaves the open round with it
\* as its estimate: the step that carries agreement from round to round.
\* @spec CONS-MYBA-AGREEMENT.1 CONS-MYBA-NEXT-ROUND.1
EstimateLock == \A l \in Locals : l.est # NoEst => \A v \in Decided \cup DecidableNow : l.est = v
=============================================================================
