import ArgumentParser
import Testing

@testable import MMCLI

/// Exit statuses, for every subcommand: 0 success (help and `--version` included), 1 a failed expectation or a
/// difference found, 2 bad input of any kind, argument errors included (ArgumentParser alone gives 64 for those).
@Suite struct ExitStatusTests {
    /// The status `mmsim` exits with when parsing `arguments` fails, or `nil` if they parse.
    func parseStatus(_ arguments: [String]) -> Int32? {
        do {
            _ = try MMSim.parseAsRoot(arguments)
            return nil
        } catch {
            return MMSim.exitStatus(for: error)
        }
    }

    /// The message `mmsim` prints when parsing `arguments` fails.
    func parseMessage(_ arguments: [String]) -> String {
        do {
            _ = try MMSim.parseAsRoot(arguments)
            return ""
        } catch {
            return MMSim.fullMessage(for: error)
        }
    }

    @Test(
        "bad arguments exit 2",
        arguments: [
            ["bench", "--size=-1"], ["bench", "--size", "3M"], ["bench", "--size", "128G"], ["bench", "--size", "2Q"],
            ["bench", "--repetitions", "0"], ["conform", "--ops", "10000000000"], ["conform", "--ops", "0"],
            ["conform", "--per-sequence", "0"], ["conform", "--near-limit-every", "-1"],
            ["conform", "--out", "/etc/passwd"], ["conform", "--out", "/etc/passwd/sub"], ["run"],
            ["run", "S1", "--no-merge-vm-as"], ["run", "S1", "--cpus", "0"], ["run", "S1", "--cpus", "65"],
            ["compare", "S1", "--ceiling", "2000000000000"], ["run", "S1", "--scheme", "fast"],
            ["probe", "--threads", "3"], ["probe", "--repeat", "0"], ["host", "--bogus"], ["scenarios", "extra"],
            ["tour", "--scheme", "seed"], ["no-such-command"], ["claims", "--cpus", "x"],
        ])
    func badArguments(arguments: [String]) {
        #expect(parseStatus(arguments) == 2, "mmsim \(arguments.joined(separator: " "))")
    }

    @Test("the messages name the limit")
    func messages() {
        #expect(parseMessage(["bench", "--size=-1"]).contains("a size cannot be negative"))
        #expect(parseMessage(["conform", "--ops", "10000000000"]).contains("between 1 and 1000000"))
        #expect(parseMessage(["conform", "--out", "/etc/passwd"]).contains("exists and is not a directory"))
        #expect(parseMessage(["bench", "--size", "3M"]).contains("a multiple of 2 MiB between 2 MiB and 64 GiB"))
    }

    @Test("--version exits 0 and prints the version from its one constant; the help names the exit statuses")
    func versionAndHelp() {
        #expect(parseStatus(["--version"]) == 0)
        #expect(parseMessage(["--version"]) == MMSimVersion.current)
        // `--help` parses into ArgumentParser's help command, whose run prints the help and returns.
        #expect(parseStatus(["--help"]) == nil)
        #expect(parseStatus(["run", "--help"]) == nil)
        #expect(MMSim.helpMessage().contains("Exit status: 0 success, 1"))
    }

    @Test("an ExitCode a command throws keeps its value; any other error is bad input")
    func thrownErrors() {
        #expect(MMSim.exitStatus(for: ExitCode(1)) == 1)
        #expect(MMSim.exitStatus(for: ExitCode(2)) == 2)
        #expect(MMSim.exitStatus(for: InputFile.Failure(description: "x: cannot open")) == 2)
        #expect(MMSim.exitStatus(for: ValidationError("bad")) == 2)
    }

    @Test(
        "good arguments parse",
        arguments: [
            ["bench", "--size", "1G"], ["bench", "--size", "2097152", "--repetitions", "1000", "--no-host", "--json"],
            ["conform", "--ops", "1000000", "--per-sequence", "1000", "--near-limit-every", "0"],
            ["run", "-", "--no-merge-vmas", "--cpus", "64", "--ceiling", "0"], ["claims", "--json"],
            ["scenarios", "--json"], ["probe", "--threads", "1", "--repeat", "100"], [],
        ])
    func goodArguments(arguments: [String]) {
        #expect(parseStatus(arguments) == nil, "\(parseMessage(arguments))")
    }
}
