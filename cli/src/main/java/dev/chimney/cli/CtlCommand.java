package dev.chimney.cli;

import dev.chimney.cli.control.ControlClient;
import dev.chimney.cli.control.Json;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code chimney ctl}: talks to the control API of a {@code chimney run --control PORT}. Reads print a human view
 * ({@code --json}: the API's JSON as it is); actions print what happened. Exit 0 on success, 1 with a one-line
 * reason when the stack refused or nothing answered, 2 for bad arguments.
 */
@Command(name = "ctl", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Inspect and steer a running 'chimney run --control PORT'.", ""},
        subcommands = {CtlCommand.Status.class, CtlCommand.Connections.class, CtlCommand.Objects.class,
            CtlCommand.Stats.class, CtlCommand.Pause.class, CtlCommand.Resume.class, CtlCommand.UploadAll.class,
            CtlCommand.Failover.class, CtlCommand.Offload.class, CtlCommand.Terminate.class},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:done", "1:the stack refused, or nothing is listening on the control port",
            "2:bad arguments"})
public final class CtlCommand implements Runnable {

    @Spec
    CommandSpec spec;

    // checked when a command connects, not by picocli: a required option on this parent would refuse
    // 'chimney ctl status --help' before the subcommand could print its help
    @Option(names = "--control", paramLabel = "PORT",
            description = "The control port given to 'chimney run --control' (on 127.0.0.1). Required.")
    Integer port;

    @Option(names = "--netns", paramLabel = "NAME",
            description = "Reach the control port inside this named network namespace (as 'chimney run --netns').")
    String netns;

    @Option(names = "--timeout-s", paramLabel = "S", description = "How long to wait for an answer (default "
            + "${DEFAULT-VALUE}).")
    int timeoutSeconds = 30;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a command: status, connections, "
                + "objects, stats, pause, resume, upload-all, failover, offload ID, terminate ID");
    }

    ControlClient client() {
        if (port == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "Missing required option: "
                    + "'--control=PORT' (the port given to 'chimney run --control')");
        }
        if (port < 1 || port > 65535) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--control must be 1..65535, got " + port);
        }
        if (timeoutSeconds < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--timeout-s must be at least 1");
        }
        return new ControlClient(port, netns, timeoutSeconds * 1000);
    }

    /** The body of a successful answer; a failed one becomes the one-line error. */
    static String body(ControlClient.Response r) {
        if (!r.ok()) {
            throw new IllegalStateException(r.error());
        }
        return r.body();
    }

    /** A read command: fetches {@code path}, prints JSON or the human view. */
    abstract static class Read implements Callable<Integer> {
        @ParentCommand
        CtlCommand ctl;

        @Spec
        CommandSpec spec;

        @Option(names = "--json", description = "Print the control API's JSON as it is.")
        boolean json;

        abstract String path();

        abstract void print(Object document, PrintWriter out);

        @Override
        public Integer call() {
            String body = body(ctl.client().get(path()));
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.print(body.endsWith("\n") ? body : body + "\n");
            } else {
                print(Json.parse(body), out);
            }
            out.flush();
            return 0;
        }
    }

    /** An action: posts to {@code path}, prints the answer's message. */
    abstract static class Action implements Callable<Integer> {
        @ParentCommand
        CtlCommand ctl;

        @Spec
        CommandSpec spec;

        abstract String path();

        @Override
        public Integer call() {
            Object answer = Json.parse(body(ctl.client().post(path())));
            PrintWriter out = spec.commandLine().getOut();
            out.println(Json.at(answer, "message"));
            out.flush();
            return 0;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Admission state, connections by offload state, the target, throughput.")
    static final class Status extends Read {
        @Override
        String path() {
            return "/api/status";
        }

        @Override
        void print(Object d, PrintWriter out) {
            out.printf("host       %s %s, up %s s%n", Json.at(d, "host"), Json.at(d, "addresses"),
                    num(Json.at(d, "uptimeMs")) / 1000);
            out.printf("connections %d: %d Offloaded, %d InHost, %d Offloading, %d Uploading%n",
                    num(Json.at(d, "connections.total")), num(Json.at(d, "connections.Offloaded")),
                    num(Json.at(d, "connections.InHost")), num(Json.at(d, "connections.Offloading")),
                    num(Json.at(d, "connections.Uploading")));
            if (Json.at(d, "offload") == null) {
                out.println("offload    none (no offload target)");
            } else {
                out.printf("offload    target %s, admission %s, policy %s%n", Json.at(d, "offload.target"),
                        Json.at(d, "offload.admission"), Json.at(d, "offload.policy"));
                out.printf("           holds %d connections, %d paths, %d neighbors; %d operations outstanding%n",
                        num(Json.at(d, "offload.connections")), num(Json.at(d, "offload.paths")),
                        num(Json.at(d, "offload.neighbors")), num(Json.at(d, "offload.outstandingOperations")));
                if (Json.at(d, "offload.team") != null) {
                    out.printf("team       %s: members %s, active %s, %s, %d failover(s)%n",
                            Json.at(d, "offload.team.name"), Json.at(d, "offload.team.members"),
                            Json.at(d, "offload.team.active"), Json.at(d, "offload.team.phase"),
                            num(Json.at(d, "offload.team.failovers")));
                }
            }
            out.printf("throughput in %s/s, out %s/s%n", bytes(num(Json.at(d, "throughput.inBytesPerSecond"))),
                    bytes(num(Json.at(d, "throughput.outBytesPerSecond"))));
        }
    }

    @Command(name = "connections", mixinStandardHelpOptions = true,
            description = "Every TCP connection, as 'ss -ti' with an Offload State column.")
    static final class Connections extends Read {
        @Override
        String path() {
            return "/api/connections";
        }

        @Override
        void print(Object d, PrintWriter out) {
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"ID", "State", "Local", "Remote", "Offload State", "Runs on", "Send-Q", "Recv-Q",
                "Bytes-Out", "Bytes-In", "cwnd", "srtt-ms", "rtx"});
            for (Object o : (List<?>) Json.at(d, "connections")) {
                Map<?, ?> c = (Map<?, ?>) o;
                rows.add(new String[] {String.valueOf(c.get("id")), str(c.get("state")), str(c.get("local")),
                    str(c.get("remote")), str(c.get("offloadState")), str(c.get("runsOn")),
                    String.valueOf(c.get("sendQueue")), String.valueOf(c.get("recvQueue")),
                    String.valueOf(c.get("bytesAcked")), String.valueOf(c.get("bytesReceived")),
                    String.valueOf(c.get("cwnd")), String.format("%.3f", num(c.get("srttUs")) / 1000.0),
                    String.valueOf(c.get("retransmits"))});
            }
            table(rows, out);
            if (rows.size() == 1) {
                out.println("(no connections)");
            }
        }
    }

    @Command(name = "objects", mixinStandardHelpOptions = true,
            description = "The offloaded state objects: neighbor -> path -> TCP trees.")
    static final class Objects extends Read {
        @Override
        String path() {
            return "/api/objects";
        }

        @Override
        void print(Object d, PrintWriter out) {
            List<?> neighbors = (List<?>) Json.at(d, "neighbors");
            for (Object o : neighbors) {
                Map<?, ?> n = (Map<?, ?>) o;
                out.printf("neighbor %s %s %s  %s%n", n.get("ip"), n.get("mac") == null ? "-" : n.get("mac"),
                        n.get("cacheState"), n.get("offloadState"));
                for (Object po : (List<?>) n.get("paths")) {
                    Map<?, ?> p = (Map<?, ?>) po;
                    out.printf("  path %s -> %s mtu %s  %s%n", p.get("source"), p.get("destination"),
                            p.get("pathMtu"), p.get("offloadState"));
                    for (Object co : (List<?>) p.get("connections")) {
                        Map<?, ?> c = (Map<?, ?>) co;
                        out.printf("    tcp #%s %s -> %s %s  %s%n", c.get("id"), c.get("local"), c.get("remote"),
                                c.get("state"), c.get("offloadState"));
                    }
                }
            }
            if (neighbors.isEmpty()) {
                out.println("(no state objects offloaded)");
            }
            out.printf("%d connection(s) in the host%n", num(Json.at(d, "connectionsInHost")));
        }
    }

    @Command(name = "stats", mixinStandardHelpOptions = true,
            description = "Host and target counters (non-zero ones; --json has all), drops by "
            + "reason.")
    static final class Stats extends Read {
        @Override
        String path() {
            return "/api/stats";
        }

        @Override
        void print(Object d, PrintWriter out) {
            out.printf("drops: %d in all%n", num(Json.at(d, "dropsTotal")));
            section(out, null, (Map<?, ?>) Json.at(d, "drops"));
            for (String s : new String[] {"offload", "tcp", "tcpip", "ip"}) {
                Object m = Json.at(d, "host." + s);
                if (m != null) {
                    section(out, "host " + s + ":", (Map<?, ?>) m);
                }
            }
            Object merged = Json.at(d, "merged");
            if (merged != null) {
                section(out, "merged, host and target (spec §5.4.4):", (Map<?, ?>) merged);
            }
            Object target = Json.at(d, "target");
            if (target != null) {
                for (String f : new String[] {"ipv4", "ipv6", "tcp4", "tcp6"}) {
                    section(out, "target " + Json.at(target, "name") + " " + f + " (spec §5.4):",
                            (Map<?, ?>) Json.at(target, f));
                }
            }
        }

        /** The non-zero counters of {@code m} under {@code heading}; nothing at all when every one is zero. */
        private static void section(PrintWriter out, String heading, Map<?, ?> m) {
            boolean any = false;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (e.getValue() instanceof Number n && n.longValue() != 0) {
                    if (!any && heading != null) {
                        out.println(heading);
                    }
                    any = true;
                    out.println("  " + e.getKey() + " = " + n);
                }
            }
        }
    }

    @Command(name = "pause", mixinStandardHelpOptions = true,
            description = "The target indicates OFFLOAD_PAUSE: no new offloads.")
    static final class Pause extends Action {
        @Override
        String path() {
            return "/api/pause";
        }
    }

    @Command(name = "resume", mixinStandardHelpOptions = true,
            description = "The target indicates OFFLOAD_RESUME; connections are offloaded again "
            + "as the policy says.")
    static final class Resume extends Action {
        @Override
        String path() {
            return "/api/resume";
        }
    }

    @Command(name = "upload-all", mixinStandardHelpOptions = true,
            description = "The target indicates UPLOAD_ALL: every connection goes back to "
            + "the host (until resume).")
    static final class UploadAll extends Action {
        @Override
        String path() {
            return "/api/upload-all";
        }
    }

    @Command(name = "failover", mixinStandardHelpOptions = true,
            description = "The team moves its offloaded connections to its standby member.")
    static final class Failover extends Action {
        @Override
        String path() {
            return "/api/failover";
        }
    }

    @Command(name = "offload", mixinStandardHelpOptions = true,
            description = "Offload one connection (its ID from 'ctl connections').")
    static final class Offload extends Action {
        @Parameters(paramLabel = "ID", description = "The connection's ID.")
        int id;

        @Override
        String path() {
            return "/api/connections/" + id + "/offload";
        }
    }

    @Command(name = "terminate", mixinStandardHelpOptions = true,
            description = "Take one offloaded connection back to the host (its ID).")
    static final class Terminate extends Action {
        @Parameters(paramLabel = "ID", description = "The connection's ID.")
        int id;

        @Override
        String path() {
            return "/api/connections/" + id + "/terminate";
        }
    }

    // ============================================================================================ formatting

    static long num(Object o) {
        return o instanceof Number n ? n.longValue() : 0;
    }

    static String str(Object o) {
        return o == null ? "-" : o.toString();
    }

    static String bytes(long n) {
        if (n < 1000) {
            return n + " B";
        }
        String[] units = {"kB", "MB", "GB", "TB"};
        double v = n;
        int i = -1;
        while (v >= 1000 && i < units.length - 1) {
            v /= 1000;
            i++;
        }
        return String.format("%.1f %s", v, units[i]);
    }

    /** Columns padded to their widest cell, two spaces apart. */
    static void table(List<String[]> rows, PrintWriter out) {
        int[] width = new int[rows.get(0).length];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        for (String[] r : rows) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < r.length; i++) {
                b.append(r[i]);
                if (i < r.length - 1) {
                    b.append(" ".repeat(width[i] - r[i].length() + 2));
                }
            }
            out.println(b.toString().stripTrailing());
        }
    }
}
