package dev.chimney.chimney.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * One state operation the host issued to its offload target (spec §3: initiate, terminate, update, invalidate,
 * query), from the request to its completion. The node counts describe the tree as issued: new offloads, linkers
 * and references alike, placeholders not counted (spec §2.11).
 */
@Name(OffloadOperationEvent.NAME)
@Label("Offload Operation")
@Category({"Chimney", "Offload"})
@Description("A state operation from the host to the offload target, request to completion")
@StackTrace(false)
public final class OffloadOperationEvent extends Event {
    public static final String NAME = "dev.chimney.OffloadOperation";

    @Label("Host")
    @Description("The host loop that issued it")
    public String host;

    @Label("Operation")
    @Description("INITIATE, TERMINATE, UPDATE, INVALIDATE or QUERY")
    public String operation;

    @Label("Neighbors")
    public int neighbors;

    @Label("Paths")
    public int paths;

    @Label("Connections")
    public int connections;

    @Label("Succeeded")
    @Description("Nodes completed with SUCCESS")
    public int succeeded;

    @Label("Failed")
    @Description("Nodes completed with another status")
    public int failed;

    @Label("Loop Duration")
    @Description("Request to completion by the host loop's clock (virtual time under the simulator)")
    @Timespan
    public long loopDuration;
}
