package io.dydet.cli;

/** The exit codes every command's help lists, worded once (picocli needs them as constants). */
public final class ExitCodes {
    public static final String HEADING = "%nExit codes:%n";
    public static final String SUCCESS = "0:success";
    public static final String FAILURE =
            "1:failure (a bad input file, model or setting, or an engine error; the message says which)";
    public static final String USAGE = "2:usage error (unknown option or invalid value)";

    private ExitCodes() {}
}
