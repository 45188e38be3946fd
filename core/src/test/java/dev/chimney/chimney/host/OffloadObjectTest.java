package dev.chimney.chimney.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.chimney.OffloadHandle;
import dev.chimney.wire.Ipv4Address;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The per-object state machine of the host's offload manager (spec §3.0 item 4, §3.8): every legal step is taken,
 * every illegal one refused with a message that says what to do, and a refused step changes nothing.
 */
class OffloadObjectTest {

    private static PathRecord path() {
        return new PathRecord(Ipv4Address.parse("10.0.0.1"), Ipv4Address.parse("10.0.0.2"));
    }

    private static PathRecord offloaded() {
        PathRecord p = path();
        OffloadHandle h = p.beginInitiate();
        h.miniportContext("ctx");
        p.endInitiate(true);
        return p;
    }

    /** Asserts {@code step} is refused with a message containing {@code hint}, and the state is unchanged. */
    private static void refused(OffloadObject o, Executable step, String hint) {
        OffloadState before = o.state();
        int dependents = o.dependents();
        IllegalStateException e = assertThrows(IllegalStateException.class, step);
        assertTrue(e.getMessage().contains(hint), e.getMessage());
        assertTrue(e.getMessage().contains(o.describe()), "the message names the object: " + e.getMessage());
        assertEquals(before, o.state(), "a refused step changes nothing");
        assertEquals(dependents, o.dependents());
    }

    @Test
    void initiateThenTerminateIsTheLifecycle() {
        PathRecord p = path();
        assertEquals(OffloadState.NOT_OFFLOADED, p.state());
        assertNull(p.handle());
        OffloadHandle h = p.beginInitiate();
        assertEquals(OffloadState.INITIATING, p.state());
        assertNull(p.context(), "no context before the initiate completed");
        h.miniportContext("ctx");
        p.endInitiate(true);
        assertEquals(OffloadState.OFFLOADED, p.state());
        assertEquals("ctx", p.context());
        assertTrue(p.owns(h));
        p.beginTerminate(0);
        assertEquals(OffloadState.TERMINATING, p.state());
        p.endTerminate();
        assertEquals(OffloadState.NOT_OFFLOADED, p.state());
        assertNull(h.miniportContext(), "the slot is cleared after a terminate");
        assertFalse(p.owns(h));
    }

    @Test
    void failedInitiateLeavesTheObjectOnTheHostWithAnEmptySlot() {
        PathRecord p = path();
        OffloadHandle h = p.beginInitiate();
        h.miniportContext("written by a buggy target");
        p.endInitiate(false);
        assertEquals(OffloadState.NOT_OFFLOADED, p.state());
        assertNull(h.miniportContext());
    }

    @Test
    void everyOffloadHasAFreshHandleSoLateIndicationsAreStale() {
        PathRecord p = offloaded();
        OffloadHandle first = p.handle();
        p.beginTerminate(0);
        p.endTerminate();
        OffloadHandle second = p.beginInitiate();
        assertNotSame(first, second);
        assertFalse(p.owns(first));
        assertTrue(p.owns(second));
        assertTrue(second.owner() == p);
    }

    // spec §8: R-HOST-3
    @Test
    void rHost3_noSecondOffloadAndNoOperationWhileBeingOffloaded() {
        PathRecord p = path();
        p.beginInitiate();
        refused(p, p::beginInitiate, "already being offloaded");
        refused(p, p::beginUpdate, "being offloaded");
        refused(p, p::beginQuery, "being offloaded");
        refused(p, p::beginInvalidate, "being offloaded");
        refused(p, () -> p.beginTerminate(0), "being offloaded");
        refused(p, () -> p.checkDataRequest("send on"), "queue the request until the initiate completes");
        PathRecord q = offloaded();
        refused(q, q::beginInitiate, "already offloaded");
    }

    // spec §8: R-HOST-4
    @Test
    void rHost4_noSecondUpdateAndNoUpdateOfAnInvalidatedObject() {
        PathRecord p = offloaded();
        p.beginUpdate();
        assertEquals(OffloadState.UPDATING, p.state());
        refused(p, p::beginUpdate, "one update per object at a time");
        p.endUpdate();
        p.beginInvalidate();
        assertEquals(OffloadState.INVALIDATING, p.state());
        refused(p, p::beginUpdate, "never updated");
        p.endInvalidate();
        assertEquals(OffloadState.INVALIDATED, p.state());
        refused(p, p::beginUpdate, "never updated");
        refused(p, p::beginInvalidate, "already invalidated");
        p.revalidate();
        p.beginUpdate(); // a relink to a valid neighbor made it usable again (spec §3.4.3 interp.)
        p.endUpdate();
    }

    @Test
    void queriesOverlapEachOtherAndAnUpdate() {
        PathRecord p = offloaded();
        p.beginUpdate();
        p.beginQuery();
        p.beginQuery();
        assertEquals(OffloadState.UPDATING, p.state(), "the more restrictive state is reported");
        p.endUpdate();
        assertEquals(OffloadState.QUERYING, p.state());
        p.endQuery();
        p.endQuery();
        assertEquals(OffloadState.OFFLOADED, p.state());
        refused(p, p::endQuery, "no query of it is outstanding");
    }

    @Test
    void rHost6_noTerminateWhileUpdateQueryOrInvalidateIsOutstanding() {
        PathRecord p = offloaded();
        p.beginUpdate();
        refused(p, () -> p.beginTerminate(0), "R-HOST-6");
        p.endUpdate();
        p.beginQuery();
        refused(p, () -> p.beginTerminate(0), "R-HOST-6");
        p.endQuery();
        p.beginInvalidate();
        refused(p, () -> p.beginTerminate(0), "R-HOST-6");
        p.endInvalidate();
        assertTrue(p.isIdle());
        p.beginTerminate(0); // an invalidated object is terminated once the invalidate completed
        refused(p, () -> p.beginTerminate(0), "already outstanding");
    }

    @Test
    void rHost7_nothingAfterTheTerminateWasCalled() {
        PathRecord p = offloaded();
        p.beginTerminate(0);
        refused(p, () -> p.checkDataRequest("send on"), "R-HOST-7");
        refused(p, p::beginUpdate, "R-HOST-7");
        refused(p, p::beginQuery, "R-HOST-7");
        refused(p, p::beginInvalidate, "R-HOST-7");
        refused(p, p::beginInitiate, "terminate is outstanding");
        p.endTerminate();
        refused(p, () -> p.checkDataRequest("send on"), "not offloaded");
        refused(p, () -> p.beginTerminate(0), "not offloaded");
    }

    @Test
    void rHost5_aParentIsTerminatedOnlyWithoutDependentsOrWithAllOfThem() {
        PathRecord p = offloaded();
        p.addDependent();
        p.addDependent();
        refused(p, () -> p.beginTerminate(0), "2 dependents are offloaded on it and 0 are in this terminate");
        refused(p, () -> p.beginTerminate(1), "R-HOST-5");
        p.beginTerminate(2); // the whole combination in one tree (spec §3.2.3)
        assertEquals(OffloadState.TERMINATING, p.state());
        PathRecord q = offloaded();
        q.addDependent();
        q.removeDependent();
        q.beginTerminate(0);
        assertThrows(IllegalStateException.class, q::removeDependent, "a dependent removed twice is a bug");
    }

    @Test
    void completionsWithoutARequestAreRefused() {
        PathRecord p = path();
        refused(p, () -> p.endInitiate(true), "complete an initiate");
        refused(p, p::endTerminate, "complete a terminate");
        PathRecord q = offloaded();
        refused(q, q::endUpdate, "no update of it is outstanding");
        refused(q, q::endInvalidate, "no invalidate of it is outstanding");
        assertNotNull(q.toString());
    }
}
