
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'flashsale' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'flashsale'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'flashsale' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('campaign', 'campaign', [CompletionResultType]::ParameterValue, 'Create, inspect, list, pause, resume, extend and end campaigns')
            [CompletionResult]::new('claim', 'claim', [CompletionResultType]::ParameterValue, 'Claim a discount for a user; show, redeem, void or export claims')
            [CompletionResult]::new('inventory', 'inventory', [CompletionResultType]::ParameterValue, 'Show, restock, remove, expire and reconcile a campaign''s inventory')
            [CompletionResult]::new('events', 'events', [CompletionResultType]::ParameterValue, 'Print the audit log: who changed which campaign, claim or inventory, and when')
            [CompletionResult]::new('simulate', 'simulate', [CompletionResultType]::ParameterValue, 'Fire N concurrent users at a campaign and prove the store kept every invariant')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script to stdout')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the manual page (roff) of flashsale or one of its commands to stdout')
            [CompletionResult]::new('jwt', 'jwt', [CompletionResultType]::ParameterValue, 'Mint JWTs for tests and demos (no store needed)')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Serve the claim flow as an HTTP API (shoppers authenticate with JWTs)')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check that the store is set up right: ok / warn / fail per check; exit 1 on a fail')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'flashsale;campaign' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a campaign (prompts for missing fields on a terminal)')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show one campaign and its state now')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List every campaign, oldest first')
            [CompletionResult]::new('end', 'end', [CompletionResultType]::ParameterValue, 'Stop a campaign now: no new claims are accepted (existing claims still replay)')
            [CompletionResult]::new('pause', 'pause', [CompletionResultType]::ParameterValue, 'Pause a campaign: new claims are refused until it resumes (replays and redeems work)')
            [CompletionResult]::new('resume', 'resume', [CompletionResultType]::ParameterValue, 'Resume a paused campaign: claims are accepted again inside its window')
            [CompletionResult]::new('extend', 'extend', [CompletionResultType]::ParameterValue, 'Move a campaign''s end later (never earlier)')
            [CompletionResult]::new('report', 'report', [CompletionResultType]::ParameterValue, 'The post-sale report: claims, redemptions, money, the sold-out instant, claims per second or minute; `--html FILE` also writes a page with charts')
            [CompletionResult]::new('watch', 'watch', [CompletionResultType]::ParameterValue, 'Watch a running sale, read from the store every second: units left, claims per second, redemptions, voids, expiries, when it sells out. Full screen on a terminal; one line (or, with `-o json`, one JSON document) per read otherwise')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'flashsale;campaign;create' {
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Campaign name (1 to 200 characters)')
            [CompletionResult]::new('--inventory', '--inventory', [CompletionResultType]::ParameterName, 'Units on sale (how many claims can succeed)')
            [CompletionResult]::new('--percent-off', '--percent-off', [CompletionResultType]::ParameterName, 'Percent off the cart, in (0, 100], e.g. 15 or 12.5')
            [CompletionResult]::new('--max-discount', '--max-discount', [CompletionResultType]::ParameterName, 'Cap on one discount, e.g. 20.00')
            [CompletionResult]::new('--min-cart', '--min-cart', [CompletionResultType]::ParameterName, 'Smallest eligible cart [default: 0]')
            [CompletionResult]::new('--currency', '--currency', [CompletionResultType]::ParameterName, 'Currency code [default: EUR]')
            [CompletionResult]::new('--id', '--id', [CompletionResultType]::ParameterName, 'Campaign id, a slug of [a-z0-9-]{1,64} [default: derived from the name]')
            [CompletionResult]::new('--starts-at', '--starts-at', [CompletionResultType]::ParameterName, 'When claims open: RFC 3339 time or `now` [default: now]')
            [CompletionResult]::new('--ends-at', '--ends-at', [CompletionResultType]::ParameterName, 'When claims close: RFC 3339 time')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'How long claims stay open after the start, e.g. 30m, 2h, 1d, 1h30m')
            [CompletionResult]::new('--hold', '--hold', [CompletionResultType]::ParameterName, 'How long a claim holds its unit before it must be redeemed, e.g. 15m; an unredeemed claim then expires and its unit returns [default: no hold, claims never expire]')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'flashsale;campaign;status' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'flashsale;campaign;list' {
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'Only the campaigns in this state now')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'flashsale;campaign;end' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do it without asking (scripts; needed when there is no terminal to ask on)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do it without asking (scripts; needed when there is no terminal to ask on)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show what would change, and change nothing')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'flashsale;campaign;pause' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'flashsale;campaign;resume' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'flashsale;campaign;extend' {
            [CompletionResult]::new('--ends-at', '--ends-at', [CompletionResultType]::ParameterName, 'The new end: an RFC 3339 time after the current end')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'How much later the campaign ends, e.g. 30m or 1h')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'flashsale;campaign;report' {
            [CompletionResult]::new('--per', '--per', [CompletionResultType]::ParameterName, 'The timeline''s bucket: claims per second (a rush) or per minute (a sale of hours)')
            [CompletionResult]::new('--html', '--html', [CompletionResultType]::ParameterName, 'Also write the report to FILE as one self-contained HTML page with charts (no script, nothing fetched: it opens offline)')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'flashsale;campaign;watch' {
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'How often to read the store: `1s`, `5s`, `500ms` (at least 100ms)')
            [CompletionResult]::new('--ticks', '--ticks', [CompletionResultType]::ParameterName, 'Stop after N reads (for scripts); without it, watch until `q`, Esc, Ctrl-C or SIGTERM')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Watch every campaign inside its window (live, paused or sold out), as they come and go')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'flashsale;campaign;help' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a campaign (prompts for missing fields on a terminal)')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show one campaign and its state now')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List every campaign, oldest first')
            [CompletionResult]::new('end', 'end', [CompletionResultType]::ParameterValue, 'Stop a campaign now: no new claims are accepted (existing claims still replay)')
            [CompletionResult]::new('pause', 'pause', [CompletionResultType]::ParameterValue, 'Pause a campaign: new claims are refused until it resumes (replays and redeems work)')
            [CompletionResult]::new('resume', 'resume', [CompletionResultType]::ParameterValue, 'Resume a paused campaign: claims are accepted again inside its window')
            [CompletionResult]::new('extend', 'extend', [CompletionResultType]::ParameterValue, 'Move a campaign''s end later (never earlier)')
            [CompletionResult]::new('report', 'report', [CompletionResultType]::ParameterValue, 'The post-sale report: claims, redemptions, money, the sold-out instant, claims per second or minute; `--html FILE` also writes a page with charts')
            [CompletionResult]::new('watch', 'watch', [CompletionResultType]::ParameterValue, 'Watch a running sale, read from the store every second: units left, claims per second, redemptions, voids, expiries, when it sells out. Full screen on a terminal; one line (or, with `-o json`, one JSON document) per read otherwise')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'flashsale;campaign;help;create' {
            break
        }
        'flashsale;campaign;help;status' {
            break
        }
        'flashsale;campaign;help;list' {
            break
        }
        'flashsale;campaign;help;end' {
            break
        }
        'flashsale;campaign;help;pause' {
            break
        }
        'flashsale;campaign;help;resume' {
            break
        }
        'flashsale;campaign;help;extend' {
            break
        }
        'flashsale;campaign;help;report' {
            break
        }
        'flashsale;campaign;help;watch' {
            break
        }
        'flashsale;campaign;help;help' {
            break
        }
        'flashsale;claim' {
            [CompletionResult]::new('--campaign', '--campaign', [CompletionResultType]::ParameterName, 'The campaign to claim from')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The user, asserted by the operator (1 to 128 characters). Refused when `FLASHSALE_REQUIRE_JWT=1`')
            [CompletionResult]::new('--jwt', '--jwt', [CompletionResultType]::ParameterName, 'The shopper''s JWT: the user is its verified `sub`. `-` reads it from stdin; the environment variable keeps it out of argv too')
            [CompletionResult]::new('--jwt-public-key-file', '--jwt-public-key-file', [CompletionResultType]::ParameterName, 'PEM public key verifying `--jwt` (RSA: RS256, EC P-256: ES256) instead of the secret')
            [CompletionResult]::new('--jwt-secret-file', '--jwt-secret-file', [CompletionResultType]::ParameterName, 'File holding the HS256 secret (at least 32 bytes; one trailing newline is ignored) [default: the value of `FLASHSALE_JWT_SECRET`]')
            [CompletionResult]::new('--jwt-issuer', '--jwt-issuer', [CompletionResultType]::ParameterName, 'Issuer (`iss`) that tokens must carry; `jwt mint` puts it in the token')
            [CompletionResult]::new('--jwt-audience', '--jwt-audience', [CompletionResultType]::ParameterName, 'Audience (`aud`) that tokens must carry; `jwt mint` puts it in the token')
            [CompletionResult]::new('--cart', '--cart', [CompletionResultType]::ParameterName, 'The shopper''s cart, e.g. 64.90')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one claim: its status, discount and redemption. Never creates or changes one')
            [CompletionResult]::new('redeem', 'redeem', [CompletionResultType]::ParameterValue, 'Redeem a claim''s token at checkout, for one order (a retry with the same order replays)')
            [CompletionResult]::new('void', 'void', [CompletionResultType]::ParameterValue, 'Void a claim (fraud, a refund): its unit returns to the inventory')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Stream every claim of a campaign as CSV or JSON lines, in a stable order')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'flashsale;claim;show' {
            [CompletionResult]::new('--campaign', '--campaign', [CompletionResultType]::ParameterName, 'The campaign')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The claim''s user')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'The claim''s token (it may start with `-`)')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'flashsale;claim;redeem' {
            [CompletionResult]::new('--campaign', '--campaign', [CompletionResultType]::ParameterName, 'The campaign')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'The token the shopper presents at checkout (it may start with `-`)')
            [CompletionResult]::new('--order', '--order', [CompletionResultType]::ParameterName, 'The shop''s order id (1 to 128 characters); a retry with the same order replays')
            [CompletionResult]::new('--cart', '--cart', [CompletionResultType]::ParameterName, 'The checkout cart, e.g. 64.90: the discount is priced again on it')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'flashsale;claim;void' {
            [CompletionResult]::new('--campaign', '--campaign', [CompletionResultType]::ParameterName, 'The campaign')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The claim''s user')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'The claim''s token (it may start with `-`)')
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why, for the audit log and the export (e.g. fraud, refund): one line of 1 to 200 characters')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do it without asking (scripts; needed when there is no terminal to ask on)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do it without asking (scripts; needed when there is no terminal to ask on)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show what would change, and change nothing')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'flashsale;claim;export' {
            [CompletionResult]::new('--campaign', '--campaign', [CompletionResultType]::ParameterName, 'The campaign')
            [CompletionResult]::new('--status', '--status', [CompletionResultType]::ParameterName, 'Only the claims with this status')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'csv or jsonl')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Write to FILE instead of stdout. A regular file is replaced only once the export is complete, keeping its permissions; a device or a named pipe is written through; a symbolic link or a directory is refused')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'flashsale;claim;help' {
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one claim: its status, discount and redemption. Never creates or changes one')
            [CompletionResult]::new('redeem', 'redeem', [CompletionResultType]::ParameterValue, 'Redeem a claim''s token at checkout, for one order (a retry with the same order replays)')
            [CompletionResult]::new('void', 'void', [CompletionResultType]::ParameterValue, 'Void a claim (fraud, a refund): its unit returns to the inventory')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Stream every claim of a campaign as CSV or JSON lines, in a stable order')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'flashsale;claim;help;show' {
            break
        }
        'flashsale;claim;help;redeem' {
            break
        }
        'flashsale;claim;help;void' {
            break
        }
        'flashsale;claim;help;export' {
            break
        }
        'flashsale;claim;help;help' {
            break
        }
        'flashsale;inventory' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show total, claimed and remaining units')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Restock: add N units to the total and to what remains')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Take N unclaimed units off sale (never below what claims hold)')
            [CompletionResult]::new('expire', 'expire', [CompletionResultType]::ParameterValue, 'Expire the claims whose hold ran out now, returning their units (safe during a sale)')
            [CompletionResult]::new('reconcile', 'reconcile', [CompletionResultType]::ParameterValue, 'Recompute `remaining` from the claims and report drift (repair it with --apply)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'flashsale;inventory;show' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'flashsale;inventory;add' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'flashsale;inventory;remove' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do it without asking (scripts; needed when there is no terminal to ask on)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do it without asking (scripts; needed when there is no terminal to ask on)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show what would change, and change nothing')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'flashsale;inventory;expire' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'flashsale;inventory;reconcile' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('--apply', '--apply', [CompletionResultType]::ParameterName, 'Write the repaired `remaining` (without it, only report). Checks the store''s integrity first, and refuses a drift larger than a crash can strand')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do it without asking (scripts; needed when there is no terminal to ask on)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do it without asking (scripts; needed when there is no terminal to ask on)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show what would change, and change nothing')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'With --apply: repair even a drift larger than a crash can strand (after a restored backup or a manual edit you know about). A damaged store is still refused')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'flashsale;inventory;help' {
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show total, claimed and remaining units')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Restock: add N units to the total and to what remains')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Take N unclaimed units off sale (never below what claims hold)')
            [CompletionResult]::new('expire', 'expire', [CompletionResultType]::ParameterValue, 'Expire the claims whose hold ran out now, returning their units (safe during a sale)')
            [CompletionResult]::new('reconcile', 'reconcile', [CompletionResultType]::ParameterValue, 'Recompute `remaining` from the claims and report drift (repair it with --apply)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'flashsale;inventory;help;show' {
            break
        }
        'flashsale;inventory;help;add' {
            break
        }
        'flashsale;inventory;help;remove' {
            break
        }
        'flashsale;inventory;help;expire' {
            break
        }
        'flashsale;inventory;help;reconcile' {
            break
        }
        'flashsale;inventory;help;help' {
            break
        }
        'flashsale;events' {
            [CompletionResult]::new('--campaign', '--campaign', [CompletionResultType]::ParameterName, 'Only this campaign''s events')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Only events at or after this RFC 3339 time')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('--follow', '--follow', [CompletionResultType]::ParameterName, 'Keep printing new events as they are written, until Ctrl-C or SIGTERM (exit 130)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'flashsale;simulate' {
            [CompletionResult]::new('--users', '--users', [CompletionResultType]::ParameterName, 'Simulated users, each a concurrent task with its own user id')
            [CompletionResult]::new('--inventory', '--inventory', [CompletionResultType]::ParameterName, 'Units of the campaign to create (required unless --campaign)')
            [CompletionResult]::new('--tabs', '--tabs', [CompletionResultType]::ParameterName, 'Concurrent requests (tabs) a duplicating user sends before one retry')
            [CompletionResult]::new('--duplicate-ratio', '--duplicate-ratio', [CompletionResultType]::ParameterName, 'Share of users, from 0 to 1, who send tabs and a retry')
            [CompletionResult]::new('--redeem-ratio', '--redeem-ratio', [CompletionResultType]::ParameterName, 'Share of users, from 0 to 1, who redeem their claim at checkout (a third of them retry the same order, a third try a second order)')
            [CompletionResult]::new('--void-ratio', '--void-ratio', [CompletionResultType]::ParameterName, 'Share of users, from 0 to 1, whose claim an operator voids during the run (racing their redemption); each then claims again and must get the voided claim back')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Users in flight at once (a closed loop: each starts when another finishes)')
            [CompletionResult]::new('--arrivals', '--arrivals', [CompletionResultType]::ParameterName, 'An open loop instead: the users arrive over DURATION, each starting at its instant whether or not earlier ones finished. KIND is uniform (evenly), burst (most at the opening, thinning out) or ramp (rising); e.g. burst:1s, uniform:10s, ramp:30s')
            [CompletionResult]::new('--html', '--html', [CompletionResultType]::ParameterName, 'Also write the report as a self-contained HTML page with charts over the run (requests and outcomes, latency, offered and completed users, remaining units). Replaced whole; a symbolic link or a directory is refused')
            [CompletionResult]::new('--seed', '--seed', [CompletionResultType]::ParameterName, 'Seed of the users'' carts and tabs; the report shows it so a run can be repeated [default: random]')
            [CompletionResult]::new('--campaign', '--campaign', [CompletionResultType]::ParameterName, 'Claim from this existing live campaign instead of creating one: spends its real units (asks first; --yes for scripts). Prefer --like')
            [CompletionResult]::new('--like', '--like', [CompletionResultType]::ParameterName, 'Rehearse on a throw-away copy of this campaign''s rule and remaining inventory (the campaign itself is only read; the copy is removed unless --keep)')
            [CompletionResult]::new('--cart-min', '--cart-min', [CompletionResultType]::ParameterName, 'Smallest cart drawn, e.g. 10.00 (with --cart-max) [default: 10.00]')
            [CompletionResult]::new('--cart-max', '--cart-max', [CompletionResultType]::ParameterName, 'Largest cart drawn, e.g. 150.00 (with --cart-min) [default: 150.00]')
            [CompletionResult]::new('--hold', '--hold', [CompletionResultType]::ParameterName, 'Give the created campaign a hold, e.g. 2s: unredeemed claims expire that long after they were made, and the simulated operator''s sweeps return their units during the run [default: no hold]. --like copies its campaign''s hold')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Claim through a running `flashsale serve` at this URL (http://HOST:PORT) instead of in this process: one keep-alive HTTP client pool, one JWT per user signed with the server''s key (`FLASHSALE_JWT_SECRET` or `--jwt-secret-file`); the users'' redemptions and claims again after a void go to the server too. `--store` must name the server''s store: the audit reads it, and the simulated operator''s voids and sweeps write to it')
            [CompletionResult]::new('--jwt-secret-file', '--jwt-secret-file', [CompletionResultType]::ParameterName, 'File holding the HS256 secret (at least 32 bytes; one trailing newline is ignored) [default: the value of `FLASHSALE_JWT_SECRET`]')
            [CompletionResult]::new('--jwt-issuer', '--jwt-issuer', [CompletionResultType]::ParameterName, 'Issuer (`iss`) that tokens must carry; `jwt mint` puts it in the token')
            [CompletionResult]::new('--jwt-audience', '--jwt-audience', [CompletionResultType]::ParameterName, 'Audience (`aud`) that tokens must carry; `jwt mint` puts it in the token')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'With --campaign: spend the campaign''s units without asking')
            [CompletionResult]::new('--keep', '--keep', [CompletionResultType]::ParameterName, 'Keep the campaign the simulation created (it is removed by default)')
            [CompletionResult]::new('--jwt', '--jwt', [CompletionResultType]::ParameterName, 'Claim through JWTs: each user gets one HS256 token, minted before its first request, and every request (each tab and the retry) verifies it; the report times verification. Signed with `FLASHSALE_JWT_SECRET` or `--jwt-secret-file` when given, else with a random key that exists only in this process')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'flashsale;completions' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'flashsale;man' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'flashsale;jwt' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('mint', 'mint', [CompletionResultType]::ParameterValue, 'Mint a token for a user (tests and demos): HS256 with the configured secret, or RS256, ES256 or `EdDSA` with `--private-key-file`')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'flashsale;jwt;mint' {
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The user the token speaks for (its `sub`)')
            [CompletionResult]::new('--ttl', '--ttl', [CompletionResultType]::ParameterName, 'How long the token is valid, e.g. 90s, 15m, 1h (at most 24h)')
            [CompletionResult]::new('--private-key-file', '--private-key-file', [CompletionResultType]::ParameterName, 'PEM private key to sign with instead of the secret: RSA signs RS256, EC P-256 ES256, Ed25519 `EdDSA` (to try `serve --jwt-public-key-file` or a key set locally)')
            [CompletionResult]::new('--kid', '--kid', [CompletionResultType]::ParameterName, 'Key id (`kid`) put in the token''s header, naming the key in a key set')
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'Scopes the token grants (its `scope` claim, space-separated): `flashsale:admin` for the admin API of `serve`')
            [CompletionResult]::new('--jwt-secret-file', '--jwt-secret-file', [CompletionResultType]::ParameterName, 'File holding the HS256 secret (at least 32 bytes; one trailing newline is ignored) [default: the value of `FLASHSALE_JWT_SECRET`]')
            [CompletionResult]::new('--jwt-issuer', '--jwt-issuer', [CompletionResultType]::ParameterName, 'Issuer (`iss`) that tokens must carry; `jwt mint` puts it in the token')
            [CompletionResult]::new('--jwt-audience', '--jwt-audience', [CompletionResultType]::ParameterName, 'Audience (`aud`) that tokens must carry; `jwt mint` puts it in the token')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'flashsale;jwt;help' {
            [CompletionResult]::new('mint', 'mint', [CompletionResultType]::ParameterValue, 'Mint a token for a user (tests and demos): HS256 with the configured secret, or RS256, ES256 or `EdDSA` with `--private-key-file`')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'flashsale;jwt;help;mint' {
            break
        }
        'flashsale;jwt;help;help' {
            break
        }
        'flashsale;serve' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address to listen on (port 0 picks a free port; the bound address is printed)')
            [CompletionResult]::new('--jwt-public-key-file', '--jwt-public-key-file', [CompletionResultType]::ParameterName, 'PEM public key verifying shoppers'' JWTs (RSA: RS256, EC P-256: ES256) instead of the secret')
            [CompletionResult]::new('--jwks-url', '--jwks-url', [CompletionResultType]::ParameterName, 'URL of the issuer''s JSON Web Key Set (RS256, ES256 and `EdDSA` keys by `kid`), fetched at start and again when its Cache-Control max-age runs out or a token names an unknown `kid` (at most every 10s); the last good set is kept while the issuer is unreachable')
            [CompletionResult]::new('--jwks-file', '--jwks-file', [CompletionResultType]::ParameterName, 'JSON Web Key Set file verifying shoppers'' JWTs (RS256, ES256 and `EdDSA` keys by `kid`), read at start')
            [CompletionResult]::new('--jwt-secret-file', '--jwt-secret-file', [CompletionResultType]::ParameterName, 'File holding the HS256 secret (at least 32 bytes; one trailing newline is ignored) [default: the value of `FLASHSALE_JWT_SECRET`]')
            [CompletionResult]::new('--jwt-issuer', '--jwt-issuer', [CompletionResultType]::ParameterName, 'Issuer (`iss`) that tokens must carry; `jwt mint` puts it in the token')
            [CompletionResult]::new('--jwt-audience', '--jwt-audience', [CompletionResultType]::ParameterName, 'Audience (`aud`) that tokens must carry; `jwt mint` puts it in the token')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Longest time one request may take before it is answered 503')
            [CompletionResult]::new('--header-timeout', '--header-timeout', [CompletionResultType]::ParameterName, 'Longest time a client may take to send a request''s headers (and then its body), or stay idle between requests, before it is disconnected')
            [CompletionResult]::new('--max-in-flight', '--max-in-flight', [CompletionResultType]::ParameterName, 'Requests served at once; more are answered 503 with Retry-After at once')
            [CompletionResult]::new('--max-connections', '--max-connections', [CompletionResultType]::ParameterName, 'Connections open at once; more wait in the listen backlog until one closes')
            [CompletionResult]::new('--grace', '--grace', [CompletionResultType]::ParameterName, 'On SIGTERM or Ctrl-C, how long requests in flight may take to finish')
            [CompletionResult]::new('--expire-every', '--expire-every', [CompletionResultType]::ParameterName, 'How often claims past their campaign''s hold are expired and their units returned (short against any sensible hold; each sweep is one query per campaign with a hold)')
            [CompletionResult]::new('--cors-origin', '--cors-origin', [CompletionResultType]::ParameterName, 'A web origin whose pages may call the API from the browser (`https://shop.example`), repeatable; none by default. In the variable, origins are separated by commas')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'The log''s format on stderr: `text`, or `json` (one JSON object per line). By default, `json` with `--output json` and `text` otherwise')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'flashsale;doctor' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results: `table` for people, `json` for scripts (one document, errors too)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'flashsale;help' {
            [CompletionResult]::new('campaign', 'campaign', [CompletionResultType]::ParameterValue, 'Create, inspect, list, pause, resume, extend and end campaigns')
            [CompletionResult]::new('claim', 'claim', [CompletionResultType]::ParameterValue, 'Claim a discount for a user; show, redeem, void or export claims')
            [CompletionResult]::new('inventory', 'inventory', [CompletionResultType]::ParameterValue, 'Show, restock, remove, expire and reconcile a campaign''s inventory')
            [CompletionResult]::new('events', 'events', [CompletionResultType]::ParameterValue, 'Print the audit log: who changed which campaign, claim or inventory, and when')
            [CompletionResult]::new('simulate', 'simulate', [CompletionResultType]::ParameterValue, 'Fire N concurrent users at a campaign and prove the store kept every invariant')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script to stdout')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the manual page (roff) of flashsale or one of its commands to stdout')
            [CompletionResult]::new('jwt', 'jwt', [CompletionResultType]::ParameterValue, 'Mint JWTs for tests and demos (no store needed)')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Serve the claim flow as an HTTP API (shoppers authenticate with JWTs)')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check that the store is set up right: ok / warn / fail per check; exit 1 on a fail')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'flashsale;help;campaign' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a campaign (prompts for missing fields on a terminal)')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show one campaign and its state now')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List every campaign, oldest first')
            [CompletionResult]::new('end', 'end', [CompletionResultType]::ParameterValue, 'Stop a campaign now: no new claims are accepted (existing claims still replay)')
            [CompletionResult]::new('pause', 'pause', [CompletionResultType]::ParameterValue, 'Pause a campaign: new claims are refused until it resumes (replays and redeems work)')
            [CompletionResult]::new('resume', 'resume', [CompletionResultType]::ParameterValue, 'Resume a paused campaign: claims are accepted again inside its window')
            [CompletionResult]::new('extend', 'extend', [CompletionResultType]::ParameterValue, 'Move a campaign''s end later (never earlier)')
            [CompletionResult]::new('report', 'report', [CompletionResultType]::ParameterValue, 'The post-sale report: claims, redemptions, money, the sold-out instant, claims per second or minute; `--html FILE` also writes a page with charts')
            [CompletionResult]::new('watch', 'watch', [CompletionResultType]::ParameterValue, 'Watch a running sale, read from the store every second: units left, claims per second, redemptions, voids, expiries, when it sells out. Full screen on a terminal; one line (or, with `-o json`, one JSON document) per read otherwise')
            break
        }
        'flashsale;help;campaign;create' {
            break
        }
        'flashsale;help;campaign;status' {
            break
        }
        'flashsale;help;campaign;list' {
            break
        }
        'flashsale;help;campaign;end' {
            break
        }
        'flashsale;help;campaign;pause' {
            break
        }
        'flashsale;help;campaign;resume' {
            break
        }
        'flashsale;help;campaign;extend' {
            break
        }
        'flashsale;help;campaign;report' {
            break
        }
        'flashsale;help;campaign;watch' {
            break
        }
        'flashsale;help;claim' {
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one claim: its status, discount and redemption. Never creates or changes one')
            [CompletionResult]::new('redeem', 'redeem', [CompletionResultType]::ParameterValue, 'Redeem a claim''s token at checkout, for one order (a retry with the same order replays)')
            [CompletionResult]::new('void', 'void', [CompletionResultType]::ParameterValue, 'Void a claim (fraud, a refund): its unit returns to the inventory')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Stream every claim of a campaign as CSV or JSON lines, in a stable order')
            break
        }
        'flashsale;help;claim;show' {
            break
        }
        'flashsale;help;claim;redeem' {
            break
        }
        'flashsale;help;claim;void' {
            break
        }
        'flashsale;help;claim;export' {
            break
        }
        'flashsale;help;inventory' {
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show total, claimed and remaining units')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Restock: add N units to the total and to what remains')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Take N unclaimed units off sale (never below what claims hold)')
            [CompletionResult]::new('expire', 'expire', [CompletionResultType]::ParameterValue, 'Expire the claims whose hold ran out now, returning their units (safe during a sale)')
            [CompletionResult]::new('reconcile', 'reconcile', [CompletionResultType]::ParameterValue, 'Recompute `remaining` from the claims and report drift (repair it with --apply)')
            break
        }
        'flashsale;help;inventory;show' {
            break
        }
        'flashsale;help;inventory;add' {
            break
        }
        'flashsale;help;inventory;remove' {
            break
        }
        'flashsale;help;inventory;expire' {
            break
        }
        'flashsale;help;inventory;reconcile' {
            break
        }
        'flashsale;help;events' {
            break
        }
        'flashsale;help;simulate' {
            break
        }
        'flashsale;help;completions' {
            break
        }
        'flashsale;help;man' {
            break
        }
        'flashsale;help;jwt' {
            [CompletionResult]::new('mint', 'mint', [CompletionResultType]::ParameterValue, 'Mint a token for a user (tests and demos): HS256 with the configured secret, or RS256, ES256 or `EdDSA` with `--private-key-file`')
            break
        }
        'flashsale;help;jwt;mint' {
            break
        }
        'flashsale;help;serve' {
            break
        }
        'flashsale;help;doctor' {
            break
        }
        'flashsale;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
