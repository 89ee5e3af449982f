import ArgumentParser

/// `weft completions bash|zsh|fish`: the shell completion script, as argument-parser generates it from the commands.
struct Completions: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a shell completion script.",
        discussion: """
            Generated from weft's commands and options, so it always matches this binary.

              weft completions bash > /etc/bash_completion.d/weft
              weft completions zsh > "${fpath[1]}/_weft"
              weft completions fish > ~/.config/fish/completions/weft.fish
            """
    )

    enum Shell: String, ExpressibleByArgument, CaseIterable {
        case bash, zsh, fish
    }

    @Argument(help: "bash, zsh or fish.")
    var shell: Shell

    func run() {
        let kind: CompletionShell =
            switch shell {
            case .bash: .bash
            case .zsh: .zsh
            case .fish: .fish
            }
        print(Weft.completionScript(for: kind), terminator: "")
    }
}
