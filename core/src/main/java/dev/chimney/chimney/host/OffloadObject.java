package dev.chimney.chimney.host;

import dev.chimney.chimney.OffloadHandle;
import dev.chimney.chimney.StateLayer;

/**
 * The host's record of one state object (spec §2.1): a neighbor, a path or a TCP connection, with the handle the
 * target knows it by and its offload state machine. Every step the host may take is a {@code begin*} / {@code end*}
 * pair that checks the spec's serialization rules (spec §3.0 item 4, §3.8) and throws {@link IllegalStateException}
 * naming the object, its state and what to do instead when the step is illegal; the manager never lets a refused
 * request reach the target, so a refusal leaves both sides as they were.
 *
 * <p>Lifecycle: NOT_OFFLOADED → (initiate) INITIATING → OFFLOADED or, on failure, NOT_OFFLOADED; OFFLOADED →
 * (terminate) TERMINATING → NOT_OFFLOADED. While OFFLOADED, updates, queries and invalidates run beside it. A fresh
 * {@link OffloadHandle} is made for every initiate, so a late indication about an earlier incarnation is recognised
 * as stale ({@link #owns}).
 *
 * <p>Dependents (spec §3.2.3, R-HOST-5): a path counts the connections that use it and a neighbor the paths that use
 * it, from the moment a dependent enters an initiate until its initiate failed or its terminate completed. A path or
 * neighbor is terminated only when that count is zero, or together with all its dependents in one tree.
 *
 * <p>Owned by the manager's loop.
 */
public abstract sealed class OffloadObject permits NeighborRecord, PathRecord, ConnectionRecord {

    private enum Phase { NOT_OFFLOADED, INITIATING, OFFLOADED, TERMINATING }

    private final StateLayer layer;
    private OffloadHandle handle;
    private Phase phase = Phase.NOT_OFFLOADED;
    private boolean updating;
    private int queries;
    private boolean invalidating;
    private boolean invalidated;
    private int dependents;
    /** An update with the current cached values is wanted once the object can take one (R-HOST-4). */
    boolean updatePending;
    /** A terminate is wanted as soon as the object is idle (R-HOST-6) and, for a parent, has no dependents. */
    boolean terminatePending;

    OffloadObject(StateLayer layer) {
        this.layer = layer;
    }

    public StateLayer layer() {
        return layer;
    }

    /** The handle of the current (or last) offload, or null before the first initiate. */
    public OffloadHandle handle() {
        return handle;
    }

    /** True when {@code h} is the handle of this object's current offload (not one of an earlier incarnation). */
    boolean owns(OffloadHandle h) {
        return h != null && h == handle && phase != Phase.NOT_OFFLOADED;
    }

    /** The target's context, or null while not offloaded. */
    Object context() {
        return handle == null || phase == Phase.NOT_OFFLOADED || phase == Phase.INITIATING ? null
                : handle.miniportContext();
    }

    public OffloadState state() {
        return switch (phase) {
            case NOT_OFFLOADED -> OffloadState.NOT_OFFLOADED;
            case INITIATING -> OffloadState.INITIATING;
            case TERMINATING -> OffloadState.TERMINATING;
            case OFFLOADED -> invalidating ? OffloadState.INVALIDATING : updating ? OffloadState.UPDATING
                    : queries > 0 ? OffloadState.QUERYING : invalidated ? OffloadState.INVALIDATED
                    : OffloadState.OFFLOADED;
        };
    }

    /** Offloaded or on its way there or back: the target has, or may have, this object. */
    public boolean isOffloadedOrPending() {
        return phase != Phase.NOT_OFFLOADED;
    }

    /** Offloaded, with its context known, and not being terminated: data requests and operations may use it. */
    public boolean isOffloaded() {
        return phase == Phase.OFFLOADED;
    }

    public boolean isInvalidated() {
        return invalidated;
    }

    /** Offloaded with nothing outstanding: a terminate may be issued now (R-HOST-6). */
    boolean isIdle() {
        return phase == Phase.OFFLOADED && !updating && queries == 0 && !invalidating;
    }

    /** Dependents offloaded or being offloaded on top of this object (R-HOST-5); always 0 for a connection. */
    public int dependents() {
        return dependents;
    }

    // ------------------------------------------------------------------------------------------------- initiate

    /** Puts this object into an initiate tree as a new offload; returns the fresh handle for its block list. */
    OffloadHandle beginInitiate() {
        switch (phase) {
            case NOT_OFFLOADED -> {
            }
            case INITIATING -> throw refused("offload", "it is already being offloaded; wait for that initiate to "
                    + "complete (no second offload of one object, R-HOST-3)");
            case OFFLOADED -> throw refused("offload", "it is already offloaded; use it as a linker, or terminate it "
                    + "first (R-HOST-3)");
            case TERMINATING -> throw refused("offload", "its terminate is outstanding; offload it again after the "
                    + "terminate completes (R-HOST-7)");
        }
        phase = Phase.INITIATING;
        handle = new OffloadHandle(this);
        updating = false;
        queries = 0;
        invalidating = false;
        invalidated = false;
        updatePending = false;
        terminatePending = false;
        return handle;
    }

    /** The initiate completed: offloaded (the target wrote its context into the handle) or back on the host. */
    void endInitiate(boolean offloaded) {
        requirePhase(Phase.INITIATING, "complete an initiate");
        phase = offloaded ? Phase.OFFLOADED : Phase.NOT_OFFLOADED;
        if (!offloaded && handle != null) {
            handle.miniportContext(null); // R-TREE-6: a failed node's slot stays empty; make sure of it
        }
    }

    // --------------------------------------------------------------------------------------------------- update

    void beginUpdate() {
        checkOperation("update");
        if (updating) {
            throw refused("update", "an update of it is outstanding; send the new values after it completes (one "
                    + "update per object at a time, R-HOST-4)");
        }
        if (invalidating || invalidated) {
            throw refused("update", "it is invalidated; an invalidated object is never updated (R-HOST-4): "
                    + "terminate it, or relink its dependent paths to a valid neighbor");
        }
        updating = true;
    }

    void endUpdate() {
        if (!updating) {
            throw refused("complete an update", "no update of it is outstanding");
        }
        updating = false;
    }

    boolean isUpdating() {
        return updating;
    }

    // ---------------------------------------------------------------------------------------------------- query

    /** Queries may overlap each other and an update (spec §3.5, §3.8). */
    void beginQuery() {
        checkOperation("query");
        queries++;
    }

    void endQuery() {
        if (queries == 0) {
            throw refused("complete a query", "no query of it is outstanding");
        }
        queries--;
    }

    // ----------------------------------------------------------------------------------------------- invalidate

    void beginInvalidate() {
        checkOperation("invalidate");
        if (invalidating || invalidated) {
            throw refused("invalidate", "it is already invalidated; terminate it (spec §3.4)");
        }
        invalidating = true;
    }

    /** SUCCESS or FAILURE: either way the host no longer trusts the object (FAILURE: corrupt hardware, §3.4.4). */
    void endInvalidate() {
        if (!invalidating) {
            throw refused("complete an invalidate", "no invalidate of it is outstanding");
        }
        invalidating = false;
        invalidated = true;
    }

    /** A relink moved this path's dependents to a valid neighbor: its connections are valid again (§3.4.3). */
    void revalidate() {
        invalidated = false;
    }

    // ------------------------------------------------------------------------------------------------ terminate

    /**
     * Puts this object into a terminate tree.
     *
     * @param dependentsInTree how many of its dependents the same tree terminates (R-HOST-5: all of them, or the
     *                         object must have none left)
     */
    void beginTerminate(int dependentsInTree) {
        switch (phase) {
            case NOT_OFFLOADED -> throw refused("terminate", "it is not offloaded");
            case INITIATING -> throw refused("terminate", "it is being offloaded; terminate it after the initiate "
                    + "completes (R-HOST-3)");
            case TERMINATING -> throw refused("terminate", "its terminate is already outstanding");
            case OFFLOADED -> {
            }
        }
        if (updating || queries > 0 || invalidating) {
            throw refused("terminate", "an update, query or invalidate of it is outstanding; terminate it once "
                    + "they complete (R-HOST-6)");
        }
        if (dependents != dependentsInTree) {
            throw refused("terminate", dependents + " dependents are offloaded on it and " + dependentsInTree
                    + " are in this terminate; terminate its dependents first or in the same tree (R-HOST-5)");
        }
        phase = Phase.TERMINATING;
    }

    /** The terminate completed (SUCCESS or FAILURE: either way the target no longer has the object, §3.2.9). */
    void endTerminate() {
        requirePhase(Phase.TERMINATING, "complete a terminate");
        phase = Phase.NOT_OFFLOADED;
        updating = false;
        queries = 0;
        invalidating = false;
        invalidated = false;
        updatePending = false;
        terminatePending = false;
        if (handle != null) {
            handle.miniportContext(null); // the slot is the host's again (OffloadHandle javadoc)
        }
    }

    boolean isTerminating() {
        return phase == Phase.TERMINATING;
    }

    boolean isInitiating() {
        return phase == Phase.INITIATING;
    }

    // --------------------------------------------------------------------------------------------- data requests

    /** A send, receive post, disconnect or forward on this (connection) object is legal now (R-HOST-3, R-HOST-7). */
    void checkDataRequest(String what) {
        switch (phase) {
            case OFFLOADED -> {
            }
            case NOT_OFFLOADED -> throw refused(what, "it is not offloaded; use the host's own connection");
            case INITIATING -> throw refused(what, "it is being offloaded; queue the request until the initiate "
                    + "completes (R-HOST-3)");
            case TERMINATING -> throw refused(what, "its terminate was called; the host engine handles the data "
                    + "after the terminate completes (R-HOST-7)");
        }
    }

    // ---------------------------------------------------------------------------------------------- dependents

    void addDependent() {
        dependents++;
    }

    void removeDependent() {
        if (dependents == 0) {
            throw new IllegalStateException(this + " has no dependents to remove: a dependent was counted twice");
        }
        dependents--;
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private void checkOperation(String what) {
        switch (phase) {
            case OFFLOADED -> {
            }
            case NOT_OFFLOADED -> throw refused(what, "it is not offloaded");
            case INITIATING -> throw refused(what, "it is being offloaded; wait for the initiate to complete "
                    + "(R-HOST-3)");
            case TERMINATING -> throw refused(what, "its terminate is outstanding (R-HOST-7)");
        }
    }

    private void requirePhase(Phase p, String what) {
        if (phase != p) {
            throw refused(what, "it is " + state());
        }
    }

    private IllegalStateException refused(String what, String why) {
        return new IllegalStateException("cannot " + what + " " + describe() + " (" + state() + "): " + why);
    }

    /** A short name for messages: the layer and the object's identity. */
    abstract String describe();

    @Override
    public String toString() {
        return describe() + " " + state() + (dependents > 0 ? " dependents=" + dependents : "");
    }
}
