package dev.chimney.chimney.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * An indication from the offload target to the host: a status indication (spec §5.1: PAUSE, RESUME, UPLOAD_ALL), a
 * TCP chimney event of one connection (spec §5.3: DISCONNECT, ABORT, RETRIEVE with its reason, SEND_BACKLOG_CHANGE)
 * or a neighbor reachability query (spec §5.2) with the host's answer. Receive indications carry data and are not
 * recorded (one per segment burst would drown everything else).
 */
@Name(OffloadIndicationEvent.NAME)
@Label("Offload Indication")
@Category({"Chimney", "Offload"})
@Description("A status indication, TCP chimney event or reachability query from the offload target")
@StackTrace(false)
public final class OffloadIndicationEvent extends Event {
    public static final String NAME = "dev.chimney.OffloadIndication";

    /** {@link #kind} of a status indication (spec §5.1). */
    public static final String STATUS = "STATUS";
    /** {@link #kind} of a TCP chimney event (spec §5.3). */
    public static final String TCP_EVENT = "TCP_EVENT";
    /** {@link #kind} of a neighbor reachability query (spec §5.2). */
    public static final String REACHABILITY_QUERY = "REACHABILITY_QUERY";

    @Label("Host")
    public String host;

    @Label("Kind")
    @Description("STATUS, TCP_EVENT or REACHABILITY_QUERY")
    public String kind;

    @Label("Indication")
    @Description("OFFLOAD_PAUSE, OFFLOAD_RESUME, UPLOAD_ALL; DISCONNECT, ABORT, RETRIEVE, SEND_BACKLOG_CHANGE; "
            + "NEIGHBOR_REACHABILITY_QUERY")
    public String indication;

    @Label("Detail")
    @Description("The upload reason of a RETRIEVE, the backlog size, the host's answer to a reachability query, or "
            + "the admission state after a status indication")
    public String detail;

    @Label("Object")
    @Description("The connection's 4-tuple or the neighbor's address, empty for a status indication")
    public String object;
}
