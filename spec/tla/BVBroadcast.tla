----------------------------- MODULE BVBroadcast -----------------------------
(***************************************************************************)
(* Binary-value broadcast (BV-broadcast), the BVAL amplification rule of   *)
(* MyBA, after Mostefaoui, Moumen and Raynal (PODC 2014).                  *)
(*                                                                         *)
(* Processes 1..N, of which the set Byzantine is faulty; F is the number   *)
(* of faults the protocol is configured to tolerate. Each correct process  *)
(* has a binary input fixed in Init. The network is the set of BVAL        *)
(* messages sent so far: broadcast is reliable and every correct process   *)
(* counts distinct senders in that one set. This abstracts delivery order  *)
(* and Byzantine equivocation towards different receivers, keeping the     *)
(* state space small while still letting Byzantine processes send any      *)
(* value at any time.                                                      *)
(*                                                                         *)
(* Liveness (Obligation, Uniformity, Termination) is stated in the         *)
(* consensus chapter and not checked as temporal properties; the safety    *)
(* facts it rests on, and what it requires of quiescent states, are        *)
(* checked as invariants.                                                  *)
(***************************************************************************)
EXTENDS Naturals, FiniteSets

CONSTANTS N, F, Byzantine

ASSUME /\ N \in 1..20
       /\ F \in 0..6
       /\ Byzantine \subseteq 1..N

Procs   == 1..N
Correct == Procs \ Byzantine
Values  == {0, 1}

\* A BVAL message; a message is identified by its sender and value only,
\* so re-sending an already sent BVAL does not change the network.
Msg(p, v) == [src |-> p, val |-> v]
Msgs      == [src : Procs, val : Values]

VARIABLES
    input,      \* input[p]: the binary input of correct process p (fixed in Init)
    msgs,       \* the set of BVAL messages sent so far (the network)
    binValues   \* binValues[p]: the values correct process p has BV-delivered

vars == <<input, msgs, binValues>>

\* Distinct senders of BVAL(v) seen so far.
Senders(v) == {p \in Procs : Msg(p, v) \in msgs}

\* @spec CONS-BVB-THRESHOLDS.1
RelayThreshold   == F + 1
DeliverThreshold == 2 * F + 1

\* A correct process has started BV-broadcast once its input BVAL is sent.
Started(p) == Msg(p, input[p]) \in msgs

-----------------------------------------------------------------------------
Init ==
    /\ input \in [Correct -> Values]
    /\ msgs = {}
    /\ binValues = [p \in Correct |-> {}]

\* A correct process broadcasts BVAL for its own input.
\* @spec CONS-BVB-INPUT.1
BroadcastInput(p) ==
    /\ Msg(p, input[p]) \notin msgs
    /\ msgs' = msgs \cup {Msg(p, input[p])}
    /\ UNCHANGED <<input, binValues>>

\* Amplification: F+1 distinct senders include a correct one, so v is
\* backed by a correct process; relay it, at most once per value. The
\* handlers belong to the BV-broadcast invocation, whose first step is the
\* input broadcast, so a process relays only once it has started.
\* @spec CONS-BVB-RELAY.1
Relay(p, v) ==
    /\ Started(p)
    /\ Msg(p, v) \notin msgs
    /\ Cardinality(Senders(v)) >= RelayThreshold
    /\ msgs' = msgs \cup {Msg(p, v)}
    /\ UNCHANGED <<input, binValues>>

\* 2F+1 distinct senders: v is BV-delivered (added to bin_values).
\* @spec CONS-BVB-DELIVER.1
Deliver(p, v) ==
    /\ Started(p)
    /\ v \notin binValues[p]
    /\ Cardinality(Senders(v)) >= DeliverThreshold
    /\ binValues' = [binValues EXCEPT ![p] = @ \cup {v}]
    /\ UNCHANGED <<input, msgs>>

\* A Byzantine process may send BVAL for any value at any time.
ByzantineSend(b, v) ==
    /\ Msg(b, v) \notin msgs
    /\ msgs' = msgs \cup {Msg(b, v)}
    /\ UNCHANGED <<input, binValues>>

Next ==
    \/ \E p \in Correct : BroadcastInput(p)
    \/ \E p \in Correct : \E v \in Values : Relay(p, v)
    \/ \E p \in Correct : \E v \in Values : Deliver(p, v)
    \/ \E b \in Byzantine : \E v \in Values : ByzantineSend(b, v)

\* Every behaviour ends in a state where no rule applies (each rule adds a
\* message or a value, and both are finite): that end state is quiescence,
\* not deadlock, hence CHECK_DEADLOCK FALSE in the configs.
Spec == Init /\ [][Next]_vars

-----------------------------------------------------------------------------
\* Invariants.

TypeOK ==
    /\ input \in [Correct -> Values]
    /\ msgs \subseteq Msgs
    /\ binValues \in [Correct -> SUBSET Values]

CorrectInputs == {input[p] : p \in Correct}

\* BV-Justification: a value BV-delivered by a correct process was the
\* input of some correct process.
\* @spec CONS-BVB-JUSTIFY.1
BVJustification ==
    \A p \in Correct : binValues[p] \subseteq CorrectInputs

\* Relay safety: a correct process only ever sends BVAL(v), by broadcasting
\* or by relaying, for a value that is some correct process's input.
\* @spec CONS-BVB-RELAY-JUSTIFY.1
BVRelayJustification ==
    \A m \in msgs : m.src \in Correct => m.val \in CorrectInputs

\* Delivery support: when a correct process has BV-delivered v, at least
\* F+1 correct processes have sent BVAL(v). Every correct process then
\* sees F+1 senders and relays v, which is what makes Uniformity and
\* Obligation hold once messages are delivered.
\* @spec CONS-BVB-DELIVERY-SUPPORT.1
BVDeliverySupport ==
    \A p \in Correct : \A v \in binValues[p] :
        Cardinality(Senders(v) \cap Correct) >= RelayThreshold

-----------------------------------------------------------------------------
\* Liveness at quiescence. Obligation, Uniformity and Termination are
\* liveness properties and are not checked as temporal properties. What is
\* checked is what they say about a state in which every correct process
\* has taken every step open to it (Byzantine processes may still send):
\* every fair behaviour of this finite model ends in such a state.

\* No correct process can broadcast, relay or deliver.
CorrectQuiescent ==
    /\ \A p \in Correct : Started(p)
    /\ \A p \in Correct : \A v \in Values :
        Cardinality(Senders(v)) >= RelayThreshold => Msg(p, v) \in msgs
    /\ \A p \in Correct : \A v \in Values :
        Cardinality(Senders(v)) >= DeliverThreshold => v \in binValues[p]

\* @spec CONS-BVB-OBLIGATION.1
QuiescentObligation ==
    CorrectQuiescent =>
        \A v \in Values :
            Cardinality({p \in Correct : input[p] = v}) >= RelayThreshold =>
                \A p \in Correct : v \in binValues[p]

\* @spec CONS-BVB-UNIFORMITY.1
QuiescentUniformity ==
    CorrectQuiescent =>
        \A p \in Correct : \A q \in Correct : binValues[p] = binValues[q]

\* @spec CONS-BVB-TERMINATION.1
QuiescentTermination ==
    CorrectQuiescent => \A p \in Correct : binValues[p] # {}
=============================================================================
