package dev.chimney.host;

/** Manual timing probe (not a test): java ... ScaleProbe conns maxBytes loss ipv6 seed. */
final class ScaleProbe {
    public static void main(String[] args) throws Exception {
        int conns = Integer.parseInt(args[0]);
        int max = Integer.parseInt(args[1]);
        double loss = Double.parseDouble(args[2]);
        boolean v6 = Boolean.parseBoolean(args[3]);
        long seed = Long.parseLong(args[4]);
        long t0 = System.nanoTime();
        TransferScenario s = TransferScenario.params().seed(seed).connections(conns).maxBytes(max).ipv6(v6)
                .lossy(loss).pcap(args.length > 5 ? new java.io.FileOutputStream(args[5]) : null).build();
        boolean ok = s.run(3600 * TransferScenario.S);
        long t1 = System.nanoTime();
        System.out.println("ok=" + ok + " failures=" + s.failures() + " wall=" + (t1 - t0) / 1_000_000 + "ms bytes="
                + s.totalBytes + " MB/s=" + s.totalBytes * 1000.0 / (t1 - t0));
        System.out.println(s.report());
        for (StreamEndpoint c : s.clients) {
            if (c.closed != dev.chimney.tcp.CloseReason.NORMAL) {
                System.out.println("port " + c.connection.localPort() + " " + c);
            }
        }
    }
}
