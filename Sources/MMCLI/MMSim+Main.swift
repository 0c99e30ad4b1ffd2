import ArgumentParser
import Foundation

extension MMSim {
    /// Parses `arguments` (the process's own when `nil`), runs the chosen subcommand and exits with the status
    /// `exitStatus(for:)` gives: 0 success, 1 a failed expectation or a difference found, 2 bad input.
    public static func runAndExit(_ arguments: [String]? = nil) -> Never {
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch {
            let status = exitStatus(for: error)
            // Help and --version: ArgumentParser prints them on standard output.
            if status == 0 { exit(withError: error) }
            let message = fullMessage(for: error)
            if !message.isEmpty { FileHandle.standardError.write(Data((message + "\n").utf8)) }
            Foundation.exit(status)
        }
        Foundation.exit(0)
    }

    /// The exit status for an error that ended a command line: 0 for help and `--version`, the code itself for an
    /// `ExitCode` a command threw (1 for failed expectations and differences, 2 for bad input it reported), and 2
    /// for everything else, argument errors included (ArgumentParser alone would give 64 for those, 1 for others).
    public static func exitStatus(for error: any Error) -> Int32 {
        if let code = error as? ExitCode { return code.rawValue }
        return exitCode(for: error) == .success ? 0 : 2
    }
}
