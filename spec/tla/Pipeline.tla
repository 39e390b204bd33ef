------------------------------ MODULE Pipeline ------------------------------
(***************************************************************************)
(* The block pipeline and its finality tiers (spec/pipeline.md).           *)
(*                                                                         *)
(* Consensus orders blocks 1..N one after another; the content of each     *)
(* block is chosen from Contents. Execution of block n needs block n       *)
(* ordered and block n-1 executed; commit of block n needs block n         *)
(* executed and block n-1 committed. A block may also be executed          *)
(* speculatively before it is ordered, guessing its content; the guess is  *)
(* promoted only if it matches the ordered content, else discarded. A      *)
(* restart loses volatile state (speculation); executed results survive    *)
(* when they are persisted with the tier watermark.                        *)
(*                                                                         *)
(* The result of executing block n is, abstractly, the ordered prefix      *)
(* order[1..n]: execution is deterministic, so equal prefixes give equal   *)
(* results and any other value is a wrong result. told[n] is the highest   *)
(* tier ever reported to clients for block n (0 none, 1 ordering,          *)
(* 2 transaction, 3 block finality); tfRes[n] is the result reported at    *)
(* transaction finality and root[n] the one committed at block finality.   *)
(*                                                                         *)
(* Backpressure = FALSE drops the depth bound from ordering, CheckSpec =   *)
(* FALSE promotes a speculative result without checking its guess, and     *)
(* PersistTiers = FALSE loses executed results on restart. Each exists     *)
(* only for a must-fail configuration.                                     *)
(***************************************************************************)
EXTENDS Naturals, Sequences

CONSTANTS N, D, Contents, Backpressure, CheckSpec, PersistTiers

ASSUME /\ N \in 1..4
       /\ D \in 1..4
       /\ Backpressure \in BOOLEAN
       /\ CheckSpec \in BOOLEAN
       /\ PersistTiers \in BOOLEAN

Blocks == 1..N
None == <<>>

VARIABLES order, exec, commit, spec, tfRes, root, told

vars == <<order, exec, commit, spec, tfRes, root, told>>

Prefix(n) == SubSeq(order, 1, n)

Max(a, b) == IF a > b THEN a ELSE b

\* The tier block n has reached on this node.
\* @spec PIPE-TIER-ORDERING.1 PIPE-TIER-TRANSACTION.1 PIPE-TIER-BLOCK.1
Tier(n) == IF n <= commit THEN 3 ELSE IF n <= exec THEN 2 ELSE IF n <= Len(order) THEN 1 ELSE 0

Report(n, t) == told' = [told EXCEPT ![n] = Max(@, t)]

Init ==
    /\ order = <<>>
    /\ exec = 0
    /\ commit = 0
    /\ spec = [n \in Blocks |-> None]
    /\ tfRes = [n \in Blocks |-> None]
    /\ root = [n \in Blocks |-> None]
    /\ told = [n \in Blocks |-> 0]

\* @spec PIPE-STAGE-ORDER.1 PIPE-DEPTH-BOUND.1
Order(c) ==
    /\ Len(order) < N
    /\ Backpressure => Len(order) - commit < D
    /\ order' = Append(order, c)
    /\ Report(Len(order) + 1, 1)
    /\ UNCHANGED <<exec, commit, spec, tfRes, root>>

\* Early execution of the next unordered block on a guessed content.
\* @spec PIPE-TIER-NO-SPEC.1
SpecExecute(c) ==
    /\ Len(order) < N
    /\ exec = Len(order)
    /\ spec[exec + 1] = None
    /\ spec' = [spec EXCEPT ![exec + 1] = Append(order, c)]
    /\ UNCHANGED <<order, exec, commit, tfRes, root, told>>

\* @spec PIPE-STAGE-EXEC.1 PIPE-EXEC-SERIAL.1 PIPE-OVERLAP.1
Execute ==
    /\ exec < Len(order)
    /\ spec[exec + 1] = None
    /\ exec' = exec + 1
    /\ tfRes' = [tfRes EXCEPT ![exec + 1] = Prefix(exec + 1)]
    /\ Report(exec + 1, 2)
    /\ UNCHANGED <<order, commit, spec, root>>

\* @spec PIPE-TIER-NO-SPEC.1
Promote ==
    /\ exec < Len(order)
    /\ spec[exec + 1] /= None
    /\ CheckSpec => spec[exec + 1] = Prefix(exec + 1)
    /\ exec' = exec + 1
    /\ tfRes' = [tfRes EXCEPT ![exec + 1] = spec[exec + 1]]
    /\ spec' = [spec EXCEPT ![exec + 1] = None]
    /\ Report(exec + 1, 2)
    /\ UNCHANGED <<order, commit, root>>

\* @spec PIPE-TIER-NO-SPEC.1
Discard ==
    /\ exec < Len(order)
    /\ spec[exec + 1] /= None
    /\ spec[exec + 1] /= Prefix(exec + 1)
    /\ spec' = [spec EXCEPT ![exec + 1] = None]
    /\ UNCHANGED <<order, exec, commit, tfRes, root, told>>

\* Merkle hashing recomputes the committed result from the ordered prefix and the store.
\* @spec PIPE-STAGE-COMMIT.1 PIPE-STAGE-DISSEMINATE.1
Commit ==
    /\ commit < exec
    /\ commit' = commit + 1
    /\ root' = [root EXCEPT ![commit + 1] = Prefix(commit + 1)]
    /\ Report(commit + 1, 3)
    /\ UNCHANGED <<order, exec, spec, tfRes>>

\* A crash and restart: speculation is lost; executed results survive only when persisted.
\* @spec PIPE-TIER-MONOTONE.1
Restart ==
    /\ spec' = [n \in Blocks |-> None]
    /\ IF PersistTiers
         THEN UNCHANGED <<exec, tfRes>>
         ELSE /\ exec' = commit
              /\ tfRes' = [n \in Blocks |-> IF n <= commit THEN tfRes[n] ELSE None]
    /\ UNCHANGED <<order, commit, root, told>>

Next ==
    \/ \E c \in Contents : Order(c) \/ SpecExecute(c)
    \/ Execute
    \/ Promote
    \/ Discard
    \/ Commit
    \/ Restart

Spec == Init /\ [][Next]_vars

TypeOK ==
    /\ Len(order) \in 0..N
    /\ exec \in 0..N
    /\ commit \in 0..N
    /\ \A n \in Blocks : told[n] \in 0..3

\* What a client was told never exceeds, and never falls behind, what the node has reached.
\* @spec PIPE-TIER-MONOTONE.1
TierMonotone == \A n \in Blocks : told[n] = Tier(n)

\* @spec PIPE-TIER-PREFIX.1
PrefixClosed ==
    /\ commit <= exec
    /\ exec <= Len(order)
    /\ \A n \in Blocks : n > 1 => told[n - 1] >= told[n]

\* @spec PIPE-TIER-EARLY-FINAL.1 PIPE-EXEC-SERIAL.1
EarlyEqualsFinal ==
    /\ \A n \in Blocks : told[n] >= 2 => tfRes[n] = Prefix(n)
    /\ \A n \in Blocks : told[n] = 3 => root[n] = tfRes[n]

\* A result reported at TF or BF is never a speculative guess that differs from the order.
\* @spec PIPE-TIER-NO-SPEC.1
NoSpecLeak == \A n \in Blocks : n <= exec => Len(tfRes[n]) = n /\ tfRes[n] = Prefix(n)

\* @spec PIPE-DEPTH-BOUND.1
DepthBound == Len(order) - commit <= D
=============================================================================
