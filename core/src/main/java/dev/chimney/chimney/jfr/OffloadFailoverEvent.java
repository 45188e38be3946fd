package dev.chimney.chimney.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * A team of offload targets moved its offloaded state from one member to another (a member failed, or an operator
 * asked for it): from the decision to the moment the standby carries every connection (or they were uploaded).
 */
@Name(OffloadFailoverEvent.NAME)
@Label("Offload Failover")
@Category({"Chimney", "Offload"})
@Description("A team of offload targets failed over from one member to another")
@StackTrace(false)
public final class OffloadFailoverEvent extends Event {
    public static final String NAME = "dev.chimney.OffloadFailover";

    @Label("Team")
    public String team;

    @Label("From")
    @Description("The member that was active")
    public String from;

    @Label("To")
    @Description("The member that is active now")
    public String to;

    @Label("Reason")
    @Description("Why: the operator asked, the active member's link went down, it failed, ...")
    public String reason;

    @Label("Connections")
    @Description("Offloaded connections the failover moved or uploaded")
    public int connections;
}
