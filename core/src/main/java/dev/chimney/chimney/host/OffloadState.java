package dev.chimney.chimney.host;

/**
 * Where one state object stands with respect to the offload target, as the host's offload manager sees it (spec
 * §3.0 item 4, §3.8). Derived from the object's lifecycle phase and the operations outstanding on it; when several
 * apply, the one that restricts the host most is reported (TERMINATING, then INVALIDATING, UPDATING, QUERYING,
 * INVALIDATED).
 */
public enum OffloadState {
    /** On the host only; the target knows nothing of it. */
    NOT_OFFLOADED,
    /** An initiate carrying it is outstanding: no other operation and no data request may touch it (R-HOST-3). */
    INITIATING,
    /** Offloaded, nothing outstanding on it. */
    OFFLOADED,
    /** An update is outstanding: no second update, no terminate until it completes (R-HOST-4, R-HOST-6). */
    UPDATING,
    /** At least one query is outstanding (queries may overlap): no terminate until they complete (R-HOST-6). */
    QUERYING,
    /** An invalidate is outstanding: no update ever again, no terminate until it completes (R-HOST-4, R-HOST-6). */
    INVALIDATING,
    /** Invalidated: still offloaded (the target keeps it until the terminate, spec §3.4.3) but never updated. */
    INVALIDATED,
    /** A terminate is outstanding: no further request of any kind (R-HOST-7). */
    TERMINATING
}
