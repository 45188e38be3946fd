package dev.chimney.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of {@code ./chimney}. */
@Command(name = "chimney", mixinStandardHelpOptions = true, version = "chimney 0.1.0",
        description = "A user-space TCP/IP stack with TCP chimney offload.",
        subcommands = {DemoCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }
}
