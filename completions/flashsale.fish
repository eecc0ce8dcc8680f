# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_flashsale_global_optspecs
    string join \n store= o/output= h/help V/version
end

function __fish_flashsale_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_flashsale_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_flashsale_using_subcommand
    set -l cmd (__fish_flashsale_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c flashsale -n "__fish_flashsale_needs_command" -l store -d 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]' -r
complete -c flashsale -n "__fish_flashsale_needs_command" -s o -l output -d 'How to print results: `table` for people, `json` for scripts (one document, errors too)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document per command, errors included'"
complete -c flashsale -n "__fish_flashsale_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c flashsale -n "__fish_flashsale_needs_command" -s V -l version -d 'Print version'
complete -c flashsale -n "__fish_flashsale_needs_command" -f -a "campaign" -d 'Create, inspect, list, pause, resume, extend and end campaigns'
complete -c flashsale -n "__fish_flashsale_needs_command" -f -a "claim" -d 'Claim a discount for a user; show, redeem, void or export claims'
complete -c flashsale -n "__fish_flashsale_needs_command" -f -a "inventory" -d 'Show, restock, remove, expire and reconcile a campaign\'s inventory'
complete -c flashsale -n "__fish_flashsale_needs_command" -f -a "events" -d 'Print the audit log: who changed which campaign, claim or inventory, and when'
complete -c flashsale -n "__fish_flashsale_needs_command" -f -a "simulate" -d 'Fire N concurrent users at a campaign and prove the store kept every invariant'
complete -c flashsale -n "__fish_flashsale_needs_command" -f -a "completions" -d 'Print a shell completion script to stdout'
complete -c flashsale -n "__fish_flashsale_needs_command" -f -a "man" -d 'Print the manual page (roff) of flashsale or one of its commands to stdout'
complete -c flashsale -n "__fish_flashsale_needs_command" -f -a "jwt" -d 'Mint JWTs for tests and demos (no store needed)'
complete -c flashsale -n "__fish_flashsale_needs_command" -f -a "serve" -d 'Serve the claim flow as an HTTP API (shoppers authenticate with JWTs)'
complete -c flashsale -n "__fish_flashsale_needs_command" -f -a "doctor" -d 'Check that the store is set up right: ok / warn / fail per check; exit 1 on a fail'
complete -c flashsale -n "__fish_flashsale_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and not __fish_seen_subcommand_from create status list end pause resume extend report watch help" -l store -d 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and not __fish_seen_subcommand_from create status list end pause resume extend report watch help" -s o -l output -d 'How to print results: `table` for people, `json` for scripts (one document, errors too)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document per command, errors included'"
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and not __fish_seen_subcommand_from create status list end pause resume extend report watch help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and not __fish_seen_subcommand_from create status list end pause resume extend report watch help" -f -a "create" -d 'Create a campaign (prompts for missing fields on a terminal)'
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and not __fish_seen_subcommand_from create status list end pause resume extend report watch help" -f -a "status" -d 'Show one campaign and its state now'
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and not __fish_seen_subcommand_from create status list end pause resume extend report watch help" -f -a "list" -d 'List every campaign, oldest first'
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and not __fish_seen_subcommand_from create status list end pause resume extend report watch help" -f -a "end" -d 'Stop a campaign now: no new claims are accepted (existing claims still replay)'
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and not __fish_seen_subcommand_from create status list end pause resume extend report watch help" -f -a "pause" -d 'Pause a campaign: new claims are refused until it resumes (replays and redeems work)'
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and not __fish_seen_subcommand_from create status list end pause resume extend report watch help" -f -a "resume" -d 'Resume a paused campaign: claims are accepted again inside its window'
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and not __fish_seen_subcommand_from create status list end pause resume extend report watch help" -f -a "extend" -d 'Move a campaign\'s end later (never earlier)'
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and not __fish_seen_subcommand_from create status list end pause resume extend report watch help" -f -a "report" -d 'The post-sale report: claims, redemptions, money, the sold-out instant, claims per second or minute; `--html FILE` also writes a page with charts'
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and not __fish_seen_subcommand_from create status list end pause resume extend report watch help" -f -a "watch" -d 'Watch a running sale, read from the store every second: units left, claims per second, redemptions, voids, expiries, when it sells out. Full screen on a terminal; one line (or, with `-o json`, one JSON document) per read otherwise'
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and not __fish_seen_subcommand_from create status list end pause resume extend report watch help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from create" -l name -d 'Campaign name (1 to 200 characters)' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from create" -l inventory -d 'Units on sale (how many claims can succeed)' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from create" -l percent-off -d 'Percent off the cart, in (0, 100], e.g. 15 or 12.5' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from create" -l max-discount -d 'Cap on one discount, e.g. 20.00' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from create" -l min-cart -d 'Smallest eligible cart [default: 0]' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from create" -l currency -d 'Currency code [default: EUR]' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from create" -l id -d 'Campaign id, a slug of [a-z0-9-]{1,64} [default: derived from the name]' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from create" -l starts-at -d 'When claims open: RFC 3339 time or `now` [default: now]' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from create" -l ends-at -d 'When claims close: RFC 3339 time' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from create" -l duration -d 'How long claims stay open after the start, e.g. 30m, 2h, 1d, 1h30m' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from create" -l hold -d 'How long a claim holds its unit before it must be redeemed, e.g. 15m; an unredeemed claim then expires and its unit returns [default: no hold, claims never expire]' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from create" -l store -d 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from create" -s o -l output -d 'How to print results: `table` for people, `json` for scripts (one document, errors too)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document per command, errors included'"
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from status" -l store -d 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from status" -s o -l output -d 'How to print results: `table` for people, `json` for scripts (one document, errors too)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document per command, errors included'"
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from list" -l state -d 'Only the campaigns in this state now' -r -f -a "scheduled\t'Before its start'
live\t'Accepting claims'
paused\t'Stopped by an operator until resumed, before or inside its window'
sold_out\t'Inside its window, no unit left'
ended\t'Past its end, or ended by an operator'"
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from list" -l store -d 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from list" -s o -l output -d 'How to print results: `table` for people, `json` for scripts (one document, errors too)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document per command, errors included'"
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from end" -l store -d 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from end" -s o -l output -d 'How to print results: `table` for people, `json` for scripts (one document, errors too)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document per command, errors included'"
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from end" -s y -l yes -d 'Do it without asking (scripts; needed when there is no terminal to ask on)'
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from end" -l dry-run -d 'Show what would change, and change nothing'
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from end" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from pause" -l store -d 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from pause" -s o -l output -d 'How to print results: `table` for people, `json` for scripts (one document, errors too)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document per command, errors included'"
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from pause" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from resume" -l store -d 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from resume" -s o -l output -d 'How to print results: `table` for people, `json` for scripts (one document, errors too)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document per command, errors included'"
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from resume" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from extend" -l ends-at -d 'The new end: an RFC 3339 time after the current end' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from extend" -l duration -d 'How much later the campaign ends, e.g. 30m or 1h' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from extend" -l store -d 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from extend" -s o -l output -d 'How to print results: `table` for people, `json` for scripts (one document, errors too)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document per command, errors included'"
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from extend" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from report" -l per -d 'The timeline\'s bucket: claims per second (a rush) or per minute (a sale of hours)' -r -f -a "second\t'One bucket per second'
minute\t'One bucket per minute'"
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from report" -l html -d 'Also write the report to FILE as one self-contained HTML page with charts (no script, nothing fetched: it opens offline)' -r -F
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from report" -l store -d 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from report" -s o -l output -d 'How to print results: `table` for people, `json` for scripts (one document, errors too)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document per command, errors included'"
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from report" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from watch" -l interval -d 'How often to read the store: `1s`, `5s`, `500ms` (at least 100ms)' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from watch" -l ticks -d 'Stop after N reads (for scripts); without it, watch until `q`, Esc, Ctrl-C or SIGTERM' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from watch" -l store -d 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from watch" -s o -l output -d 'How to print results: `table` for people, `json` for scripts (one document, errors too)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document per command, errors included'"
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from watch" -l all -d 'Watch every campaign inside its window (live, paused or sold out), as they come and go'
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from watch" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from help" -f -a "create" -d 'Create a campaign (prompts for missing fields on a terminal)'
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from help" -f -a "status" -d 'Show one campaign and its state now'
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from help" -f -a "list" -d 'List every campaign, oldest first'
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from help" -f -a "end" -d 'Stop a campaign now: no new claims are accepted (existing claims still replay)'
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from help" -f -a "pause" -d 'Pause a campaign: new claims are refused until it resumes (replays and redeems work)'
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from help" -f -a "resume" -d 'Resume a paused campaign: claims are accepted again inside its window'
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from help" -f -a "extend" -d 'Move a campaign\'s end later (never earlier)'
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from help" -f -a "report" -d 'The post-sale report: claims, redemptions, money, the sold-out instant, claims per second or minute; `--html FILE` also writes a page with charts'
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from help" -f -a "watch" -d 'Watch a running sale, read from the store every second: units left, claims per second, redemptions, voids, expiries, when it sells out. Full screen on a terminal; one line (or, with `-o json`, one JSON document) per read otherwise'
complete -c flashsale -n "__fish_flashsale_using_subcommand campaign; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c flashsale -n "__fish_flashsale_using_subcommand claim; and not __fish_seen_subcommand_from show redeem void export help" -l campaign -d 'The campaign to claim from' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand claim; and not __fish_seen_subcommand_from show redeem void export help" -l user -d 'The user, asserted by the operator (1 to 128 characters). Refused when `FLASHSALE_REQUIRE_JWT=1`' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand claim; and not __fish_seen_subcommand_from show redeem void export help" -l jwt -d 'The shopper\'s JWT: the user is its verified `sub`. `-` reads it from stdin; the environment variable keeps it out of argv too' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand claim; and not __fish_seen_subcommand_from show redeem void export help" -l jwt-public-key-file -d 'PEM public key verifying `--jwt` (RSA: RS256, EC P-256: ES256) instead of the secret' -r -F
complete -c flashsale -n "__fish_flashsale_using_subcommand claim; and not __fish_seen_subcommand_from show redeem void export help" -l jwt-secret-file -d 'File holding the HS256 secret (at least 32 bytes; one trailing newline is ignored) [default: the value of `FLASHSALE_JWT_SECRET`]' -r -F
complete -c flashsale -n "__fish_flashsale_using_subcommand claim; and not __fish_seen_subcommand_from show redeem void export help" -l jwt-issuer -d 'Issuer (`iss`) that tokens must carry; `jwt mint` puts it in the token' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand claim; and not __fish_seen_subcommand_from show redeem void export help" -l jwt-audience -d 'Audience (`aud`) that tokens must carry; `jwt mint` puts it in the token' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand claim; and not __fish_seen_subcommand_from show redeem void export help" -l cart -d 'The shopper\'s cart, e.g. 64.90' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand claim; and not __fish_seen_subcommand_from show redeem void export help" -l store -d 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand claim; and not __fish_seen_subcommand_from show redeem void export help" -s o -l output -d 'How to print results: `table` for people, `json` for scripts (one document, errors too)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document per command, errors included'"
complete -c flashsale -n "__fish_flashsale_using_subcommand claim; and not __fish_seen_subcommand_from show redeem void export help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c flashsale -n "__fish_flashsale_using_subcommand claim; and not __fish_seen_subcommand_from show redeem void export help" -f -a "show" -d 'Show one claim: its status, discount and redemption. Never creates or changes one'
complete -c flashsale -n "__fish_flashsale_using_subcommand claim; and not __fish_seen_subcommand_from show redeem void export help" -f -a "redeem" -d 'Redeem a claim\'s token at checkout, for one order (a retry with the same order replays)'
complete -c flashsale -n "__fish_flashsale_using_subcommand claim; and not __fish_seen_subcommand_from show redeem void export help" -f -a "void" -d 'Void a claim (fraud, a refund): its unit returns to the inventory'
complete -c flashsale -n "__fish_flashsale_using_subcommand claim; and not __fish_seen_subcommand_from show redeem void export help" -f -a "export" -d 'Stream every claim of a campaign as CSV or JSON lines, in a stable order'
complete -c flashsale -n "__fish_flashsale_using_subcommand claim; and not __fish_seen_subcommand_from show redeem void export help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c flashsale -n "__fish_flashsale_using_subcommand claim; and __fish_seen_subcommand_from show" -l campaign -d 'The campaign' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand claim; and __fish_seen_subcommand_from show" -l user -d 'The claim\'s user' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand claim; and __fish_seen_subcommand_from show" -l token -d 'The claim\'s token (it may start with `-`)' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand claim; and __fish_seen_subcommand_from show" -l store -d 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand claim; and __fish_seen_subcommand_from show" -s o -l output -d 'How to print results: `table` for people, `json` for scripts (one document, errors too)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document per command, errors included'"
complete -c flashsale -n "__fish_flashsale_using_subcommand claim; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c flashsale -n "__fish_flashsale_using_subcommand claim; and __fish_seen_subcommand_from redeem" -l campaign -d 'The campaign' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand claim; and __fish_seen_subcommand_from redeem" -l token -d 'The token the shopper presents at checkout (it may start with `-`)' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand claim; and __fish_seen_subcommand_from redeem" -l order -d 'The shop\'s order id (1 to 128 characters); a retry with the same order replays' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand claim; and __fish_seen_subcommand_from redeem" -l cart -d 'The checkout cart, e.g. 64.90: the discount is priced again on it' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand claim; and __fish_seen_subcommand_from redeem" -l store -d 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand claim; and __fish_seen_subcommand_from redeem" -s o -l output -d 'How to print results: `table` for people, `json` for scripts (one document, errors too)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document per command, errors included'"
complete -c flashsale -n "__fish_flashsale_using_subcommand claim; and __fish_seen_subcommand_from redeem" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c flashsale -n "__fish_flashsale_using_subcommand claim; and __fish_seen_subcommand_from void" -l campaign -d 'The campaign' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand claim; and __fish_seen_subcommand_from void" -l user -d 'The claim\'s user' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand claim; and __fish_seen_subcommand_from void" -l token -d 'The claim\'s token (it may start with `-`)' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand claim; and __fish_seen_subcommand_from void" -l reason -d 'Why, for the audit log and the export (e.g. fraud, refund): one line of 1 to 200 characters' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand claim; and __fish_seen_subcommand_from void" -l store -d 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand claim; and __fish_seen_subcommand_from void" -s o -l output -d 'How to print results: `table` for people, `json` for scripts (one document, errors too)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document per command, errors included'"
complete -c flashsale -n "__fish_flashsale_using_subcommand claim; and __fish_seen_subcommand_from void" -s y -l yes -d 'Do it without asking (scripts; needed when there is no terminal to ask on)'
complete -c flashsale -n "__fish_flashsale_using_subcommand claim; and __fish_seen_subcommand_from void" -l dry-run -d 'Show what would change, and change nothing'
complete -c flashsale -n "__fish_flashsale_using_subcommand claim; and __fish_seen_subcommand_from void" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c flashsale -n "__fish_flashsale_using_subcommand claim; and __fish_seen_subcommand_from export" -l campaign -d 'The campaign' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand claim; and __fish_seen_subcommand_from export" -l status -d 'Only the claims with this status' -r -f -a "claimed\t'Holding a unit, not yet redeemed'
redeemed\t'Redeemed at checkout'
voided\t'Voided by an operator'
expired\t'Expired unredeemed'"
complete -c flashsale -n "__fish_flashsale_using_subcommand claim; and __fish_seen_subcommand_from export" -l format -d 'csv or jsonl' -r -f -a "csv\t'Comma-separated values with a header row (RFC 4180 quoting)'
jsonl\t'One JSON document per claim per line: the claim JSON of `claim show`'"
complete -c flashsale -n "__fish_flashsale_using_subcommand claim; and __fish_seen_subcommand_from export" -l out -d 'Write to FILE instead of stdout. A regular file is replaced only once the export is complete, keeping its permissions; a device or a named pipe is written through; a symbolic link or a directory is refused' -r -F
complete -c flashsale -n "__fish_flashsale_using_subcommand claim; and __fish_seen_subcommand_from export" -l store -d 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand claim; and __fish_seen_subcommand_from export" -s o -l output -d 'How to print results: `table` for people, `json` for scripts (one document, errors too)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document per command, errors included'"
complete -c flashsale -n "__fish_flashsale_using_subcommand claim; and __fish_seen_subcommand_from export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c flashsale -n "__fish_flashsale_using_subcommand claim; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show one claim: its status, discount and redemption. Never creates or changes one'
complete -c flashsale -n "__fish_flashsale_using_subcommand claim; and __fish_seen_subcommand_from help" -f -a "redeem" -d 'Redeem a claim\'s token at checkout, for one order (a retry with the same order replays)'
complete -c flashsale -n "__fish_flashsale_using_subcommand claim; and __fish_seen_subcommand_from help" -f -a "void" -d 'Void a claim (fraud, a refund): its unit returns to the inventory'
complete -c flashsale -n "__fish_flashsale_using_subcommand claim; and __fish_seen_subcommand_from help" -f -a "export" -d 'Stream every claim of a campaign as CSV or JSON lines, in a stable order'
complete -c flashsale -n "__fish_flashsale_using_subcommand claim; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c flashsale -n "__fish_flashsale_using_subcommand inventory; and not __fish_seen_subcommand_from show add remove expire reconcile help" -l store -d 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand inventory; and not __fish_seen_subcommand_from show add remove expire reconcile help" -s o -l output -d 'How to print results: `table` for people, `json` for scripts (one document, errors too)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document per command, errors included'"
complete -c flashsale -n "__fish_flashsale_using_subcommand inventory; and not __fish_seen_subcommand_from show add remove expire reconcile help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c flashsale -n "__fish_flashsale_using_subcommand inventory; and not __fish_seen_subcommand_from show add remove expire reconcile help" -f -a "show" -d 'Show total, claimed and remaining units'
complete -c flashsale -n "__fish_flashsale_using_subcommand inventory; and not __fish_seen_subcommand_from show add remove expire reconcile help" -f -a "add" -d 'Restock: add N units to the total and to what remains'
complete -c flashsale -n "__fish_flashsale_using_subcommand inventory; and not __fish_seen_subcommand_from show add remove expire reconcile help" -f -a "remove" -d 'Take N unclaimed units off sale (never below what claims hold)'
complete -c flashsale -n "__fish_flashsale_using_subcommand inventory; and not __fish_seen_subcommand_from show add remove expire reconcile help" -f -a "expire" -d 'Expire the claims whose hold ran out now, returning their units (safe during a sale)'
complete -c flashsale -n "__fish_flashsale_using_subcommand inventory; and not __fish_seen_subcommand_from show add remove expire reconcile help" -f -a "reconcile" -d 'Recompute `remaining` from the claims and report drift (repair it with --apply)'
complete -c flashsale -n "__fish_flashsale_using_subcommand inventory; and not __fish_seen_subcommand_from show add remove expire reconcile help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c flashsale -n "__fish_flashsale_using_subcommand inventory; and __fish_seen_subcommand_from show" -l store -d 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand inventory; and __fish_seen_subcommand_from show" -s o -l output -d 'How to print results: `table` for people, `json` for scripts (one document, errors too)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document per command, errors included'"
complete -c flashsale -n "__fish_flashsale_using_subcommand inventory; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c flashsale -n "__fish_flashsale_using_subcommand inventory; and __fish_seen_subcommand_from add" -l store -d 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand inventory; and __fish_seen_subcommand_from add" -s o -l output -d 'How to print results: `table` for people, `json` for scripts (one document, errors too)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document per command, errors included'"
complete -c flashsale -n "__fish_flashsale_using_subcommand inventory; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c flashsale -n "__fish_flashsale_using_subcommand inventory; and __fish_seen_subcommand_from remove" -l store -d 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand inventory; and __fish_seen_subcommand_from remove" -s o -l output -d 'How to print results: `table` for people, `json` for scripts (one document, errors too)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document per command, errors included'"
complete -c flashsale -n "__fish_flashsale_using_subcommand inventory; and __fish_seen_subcommand_from remove" -s y -l yes -d 'Do it without asking (scripts; needed when there is no terminal to ask on)'
complete -c flashsale -n "__fish_flashsale_using_subcommand inventory; and __fish_seen_subcommand_from remove" -l dry-run -d 'Show what would change, and change nothing'
complete -c flashsale -n "__fish_flashsale_using_subcommand inventory; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c flashsale -n "__fish_flashsale_using_subcommand inventory; and __fish_seen_subcommand_from expire" -l store -d 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand inventory; and __fish_seen_subcommand_from expire" -s o -l output -d 'How to print results: `table` for people, `json` for scripts (one document, errors too)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document per command, errors included'"
complete -c flashsale -n "__fish_flashsale_using_subcommand inventory; and __fish_seen_subcommand_from expire" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c flashsale -n "__fish_flashsale_using_subcommand inventory; and __fish_seen_subcommand_from reconcile" -l store -d 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand inventory; and __fish_seen_subcommand_from reconcile" -s o -l output -d 'How to print results: `table` for people, `json` for scripts (one document, errors too)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document per command, errors included'"
complete -c flashsale -n "__fish_flashsale_using_subcommand inventory; and __fish_seen_subcommand_from reconcile" -l apply -d 'Write the repaired `remaining` (without it, only report). Checks the store\'s integrity first, and refuses a drift larger than a crash can strand'
complete -c flashsale -n "__fish_flashsale_using_subcommand inventory; and __fish_seen_subcommand_from reconcile" -s y -l yes -d 'Do it without asking (scripts; needed when there is no terminal to ask on)'
complete -c flashsale -n "__fish_flashsale_using_subcommand inventory; and __fish_seen_subcommand_from reconcile" -l dry-run -d 'Show what would change, and change nothing'
complete -c flashsale -n "__fish_flashsale_using_subcommand inventory; and __fish_seen_subcommand_from reconcile" -l force -d 'With --apply: repair even a drift larger than a crash can strand (after a restored backup or a manual edit you know about). A damaged store is still refused'
complete -c flashsale -n "__fish_flashsale_using_subcommand inventory; and __fish_seen_subcommand_from reconcile" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c flashsale -n "__fish_flashsale_using_subcommand inventory; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show total, claimed and remaining units'
complete -c flashsale -n "__fish_flashsale_using_subcommand inventory; and __fish_seen_subcommand_from help" -f -a "add" -d 'Restock: add N units to the total and to what remains'
complete -c flashsale -n "__fish_flashsale_using_subcommand inventory; and __fish_seen_subcommand_from help" -f -a "remove" -d 'Take N unclaimed units off sale (never below what claims hold)'
complete -c flashsale -n "__fish_flashsale_using_subcommand inventory; and __fish_seen_subcommand_from help" -f -a "expire" -d 'Expire the claims whose hold ran out now, returning their units (safe during a sale)'
complete -c flashsale -n "__fish_flashsale_using_subcommand inventory; and __fish_seen_subcommand_from help" -f -a "reconcile" -d 'Recompute `remaining` from the claims and report drift (repair it with --apply)'
complete -c flashsale -n "__fish_flashsale_using_subcommand inventory; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c flashsale -n "__fish_flashsale_using_subcommand events" -l campaign -d 'Only this campaign\'s events' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand events" -l since -d 'Only events at or after this RFC 3339 time' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand events" -l store -d 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand events" -s o -l output -d 'How to print results: `table` for people, `json` for scripts (one document, errors too)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document per command, errors included'"
complete -c flashsale -n "__fish_flashsale_using_subcommand events" -l follow -d 'Keep printing new events as they are written, until Ctrl-C or SIGTERM (exit 130)'
complete -c flashsale -n "__fish_flashsale_using_subcommand events" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c flashsale -n "__fish_flashsale_using_subcommand simulate" -l users -d 'Simulated users, each a concurrent task with its own user id' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand simulate" -l inventory -d 'Units of the campaign to create (required unless --campaign)' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand simulate" -l tabs -d 'Concurrent requests (tabs) a duplicating user sends before one retry' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand simulate" -l duplicate-ratio -d 'Share of users, from 0 to 1, who send tabs and a retry' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand simulate" -l redeem-ratio -d 'Share of users, from 0 to 1, who redeem their claim at checkout (a third of them retry the same order, a third try a second order)' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand simulate" -l void-ratio -d 'Share of users, from 0 to 1, whose claim an operator voids during the run (racing their redemption); each then claims again and must get the voided claim back' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand simulate" -l concurrency -d 'Users in flight at once (a closed loop: each starts when another finishes)' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand simulate" -l arrivals -d 'An open loop instead: the users arrive over DURATION, each starting at its instant whether or not earlier ones finished. KIND is uniform (evenly), burst (most at the opening, thinning out) or ramp (rising); e.g. burst:1s, uniform:10s, ramp:30s' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand simulate" -l html -d 'Also write the report as a self-contained HTML page with charts over the run (requests and outcomes, latency, offered and completed users, remaining units). Replaced whole; a symbolic link or a directory is refused' -r -F
complete -c flashsale -n "__fish_flashsale_using_subcommand simulate" -l seed -d 'Seed of the users\' carts and tabs; the report shows it so a run can be repeated [default: random]' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand simulate" -l campaign -d 'Claim from this existing live campaign instead of creating one: spends its real units (asks first; --yes for scripts). Prefer --like' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand simulate" -l like -d 'Rehearse on a throw-away copy of this campaign\'s rule and remaining inventory (the campaign itself is only read; the copy is removed unless --keep)' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand simulate" -l cart-min -d 'Smallest cart drawn, e.g. 10.00 (with --cart-max) [default: 10.00]' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand simulate" -l cart-max -d 'Largest cart drawn, e.g. 150.00 (with --cart-min) [default: 150.00]' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand simulate" -l hold -d 'Give the created campaign a hold, e.g. 2s: unredeemed claims expire that long after they were made, and the simulated operator\'s sweeps return their units during the run [default: no hold]. --like copies its campaign\'s hold' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand simulate" -l target -d 'Claim through a running `flashsale serve` at this URL (http://HOST:PORT) instead of in this process: one keep-alive HTTP client pool, one JWT per user signed with the server\'s key (`FLASHSALE_JWT_SECRET` or `--jwt-secret-file`); the users\' redemptions and claims again after a void go to the server too. `--store` must name the server\'s store: the audit reads it, and the simulated operator\'s voids and sweeps write to it' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand simulate" -l jwt-secret-file -d 'File holding the HS256 secret (at least 32 bytes; one trailing newline is ignored) [default: the value of `FLASHSALE_JWT_SECRET`]' -r -F
complete -c flashsale -n "__fish_flashsale_using_subcommand simulate" -l jwt-issuer -d 'Issuer (`iss`) that tokens must carry; `jwt mint` puts it in the token' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand simulate" -l jwt-audience -d 'Audience (`aud`) that tokens must carry; `jwt mint` puts it in the token' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand simulate" -l store -d 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand simulate" -s o -l output -d 'How to print results: `table` for people, `json` for scripts (one document, errors too)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document per command, errors included'"
complete -c flashsale -n "__fish_flashsale_using_subcommand simulate" -l yes -d 'With --campaign: spend the campaign\'s units without asking'
complete -c flashsale -n "__fish_flashsale_using_subcommand simulate" -l keep -d 'Keep the campaign the simulation created (it is removed by default)'
complete -c flashsale -n "__fish_flashsale_using_subcommand simulate" -l jwt -d 'Claim through JWTs: each user gets one HS256 token, minted before its first request, and every request (each tab and the retry) verifies it; the report times verification. Signed with `FLASHSALE_JWT_SECRET` or `--jwt-secret-file` when given, else with a random key that exists only in this process'
complete -c flashsale -n "__fish_flashsale_using_subcommand simulate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c flashsale -n "__fish_flashsale_using_subcommand completions" -l store -d 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand completions" -s o -l output -d 'How to print results: `table` for people, `json` for scripts (one document, errors too)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document per command, errors included'"
complete -c flashsale -n "__fish_flashsale_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c flashsale -n "__fish_flashsale_using_subcommand man" -l store -d 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand man" -s o -l output -d 'How to print results: `table` for people, `json` for scripts (one document, errors too)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document per command, errors included'"
complete -c flashsale -n "__fish_flashsale_using_subcommand man" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c flashsale -n "__fish_flashsale_using_subcommand jwt; and not __fish_seen_subcommand_from mint help" -l store -d 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand jwt; and not __fish_seen_subcommand_from mint help" -s o -l output -d 'How to print results: `table` for people, `json` for scripts (one document, errors too)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document per command, errors included'"
complete -c flashsale -n "__fish_flashsale_using_subcommand jwt; and not __fish_seen_subcommand_from mint help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c flashsale -n "__fish_flashsale_using_subcommand jwt; and not __fish_seen_subcommand_from mint help" -f -a "mint" -d 'Mint a token for a user (tests and demos): HS256 with the configured secret, or RS256, ES256 or `EdDSA` with `--private-key-file`'
complete -c flashsale -n "__fish_flashsale_using_subcommand jwt; and not __fish_seen_subcommand_from mint help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c flashsale -n "__fish_flashsale_using_subcommand jwt; and __fish_seen_subcommand_from mint" -l user -d 'The user the token speaks for (its `sub`)' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand jwt; and __fish_seen_subcommand_from mint" -l ttl -d 'How long the token is valid, e.g. 90s, 15m, 1h (at most 24h)' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand jwt; and __fish_seen_subcommand_from mint" -l private-key-file -d 'PEM private key to sign with instead of the secret: RSA signs RS256, EC P-256 ES256, Ed25519 `EdDSA` (to try `serve --jwt-public-key-file` or a key set locally)' -r -F
complete -c flashsale -n "__fish_flashsale_using_subcommand jwt; and __fish_seen_subcommand_from mint" -l kid -d 'Key id (`kid`) put in the token\'s header, naming the key in a key set' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand jwt; and __fish_seen_subcommand_from mint" -l scope -d 'Scopes the token grants (its `scope` claim, space-separated): `flashsale:admin` for the admin API of `serve`' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand jwt; and __fish_seen_subcommand_from mint" -l jwt-secret-file -d 'File holding the HS256 secret (at least 32 bytes; one trailing newline is ignored) [default: the value of `FLASHSALE_JWT_SECRET`]' -r -F
complete -c flashsale -n "__fish_flashsale_using_subcommand jwt; and __fish_seen_subcommand_from mint" -l jwt-issuer -d 'Issuer (`iss`) that tokens must carry; `jwt mint` puts it in the token' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand jwt; and __fish_seen_subcommand_from mint" -l jwt-audience -d 'Audience (`aud`) that tokens must carry; `jwt mint` puts it in the token' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand jwt; and __fish_seen_subcommand_from mint" -l store -d 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand jwt; and __fish_seen_subcommand_from mint" -s o -l output -d 'How to print results: `table` for people, `json` for scripts (one document, errors too)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document per command, errors included'"
complete -c flashsale -n "__fish_flashsale_using_subcommand jwt; and __fish_seen_subcommand_from mint" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c flashsale -n "__fish_flashsale_using_subcommand jwt; and __fish_seen_subcommand_from help" -f -a "mint" -d 'Mint a token for a user (tests and demos): HS256 with the configured secret, or RS256, ES256 or `EdDSA` with `--private-key-file`'
complete -c flashsale -n "__fish_flashsale_using_subcommand jwt; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c flashsale -n "__fish_flashsale_using_subcommand serve" -l listen -d 'Address to listen on (port 0 picks a free port; the bound address is printed)' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand serve" -l jwt-public-key-file -d 'PEM public key verifying shoppers\' JWTs (RSA: RS256, EC P-256: ES256) instead of the secret' -r -F
complete -c flashsale -n "__fish_flashsale_using_subcommand serve" -l jwks-url -d 'URL of the issuer\'s JSON Web Key Set (RS256, ES256 and `EdDSA` keys by `kid`), fetched at start and again when its Cache-Control max-age runs out or a token names an unknown `kid` (at most every 10s); the last good set is kept while the issuer is unreachable' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand serve" -l jwks-file -d 'JSON Web Key Set file verifying shoppers\' JWTs (RS256, ES256 and `EdDSA` keys by `kid`), read at start' -r -F
complete -c flashsale -n "__fish_flashsale_using_subcommand serve" -l jwt-secret-file -d 'File holding the HS256 secret (at least 32 bytes; one trailing newline is ignored) [default: the value of `FLASHSALE_JWT_SECRET`]' -r -F
complete -c flashsale -n "__fish_flashsale_using_subcommand serve" -l jwt-issuer -d 'Issuer (`iss`) that tokens must carry; `jwt mint` puts it in the token' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand serve" -l jwt-audience -d 'Audience (`aud`) that tokens must carry; `jwt mint` puts it in the token' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand serve" -l request-timeout -d 'Longest time one request may take before it is answered 503' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand serve" -l header-timeout -d 'Longest time a client may take to send a request\'s headers (and then its body), or stay idle between requests, before it is disconnected' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand serve" -l max-in-flight -d 'Requests served at once; more are answered 503 with Retry-After at once' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand serve" -l max-connections -d 'Connections open at once; more wait in the listen backlog until one closes' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand serve" -l grace -d 'On SIGTERM or Ctrl-C, how long requests in flight may take to finish' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand serve" -l expire-every -d 'How often claims past their campaign\'s hold are expired and their units returned (short against any sensible hold; each sweep is one query per campaign with a hold)' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand serve" -l cors-origin -d 'A web origin whose pages may call the API from the browser (`https://shop.example`), repeatable; none by default. In the variable, origins are separated by commas' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand serve" -l log-format -d 'The log\'s format on stderr: `text`, or `json` (one JSON object per line). By default, `json` with `--output json` and `text` otherwise' -r -f -a "text\t'For people: a time, a level and `key=value` fields'
json\t'For log pipelines: one JSON object per line'"
complete -c flashsale -n "__fish_flashsale_using_subcommand serve" -l store -d 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand serve" -s o -l output -d 'How to print results: `table` for people, `json` for scripts (one document, errors too)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document per command, errors included'"
complete -c flashsale -n "__fish_flashsale_using_subcommand serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c flashsale -n "__fish_flashsale_using_subcommand doctor" -l store -d 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]' -r
complete -c flashsale -n "__fish_flashsale_using_subcommand doctor" -s o -l output -d 'How to print results: `table` for people, `json` for scripts (one document, errors too)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document per command, errors included'"
complete -c flashsale -n "__fish_flashsale_using_subcommand doctor" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c flashsale -n "__fish_flashsale_using_subcommand help; and not __fish_seen_subcommand_from campaign claim inventory events simulate completions man jwt serve doctor help" -f -a "campaign" -d 'Create, inspect, list, pause, resume, extend and end campaigns'
complete -c flashsale -n "__fish_flashsale_using_subcommand help; and not __fish_seen_subcommand_from campaign claim inventory events simulate completions man jwt serve doctor help" -f -a "claim" -d 'Claim a discount for a user; show, redeem, void or export claims'
complete -c flashsale -n "__fish_flashsale_using_subcommand help; and not __fish_seen_subcommand_from campaign claim inventory events simulate completions man jwt serve doctor help" -f -a "inventory" -d 'Show, restock, remove, expire and reconcile a campaign\'s inventory'
complete -c flashsale -n "__fish_flashsale_using_subcommand help; and not __fish_seen_subcommand_from campaign claim inventory events simulate completions man jwt serve doctor help" -f -a "events" -d 'Print the audit log: who changed which campaign, claim or inventory, and when'
complete -c flashsale -n "__fish_flashsale_using_subcommand help; and not __fish_seen_subcommand_from campaign claim inventory events simulate completions man jwt serve doctor help" -f -a "simulate" -d 'Fire N concurrent users at a campaign and prove the store kept every invariant'
complete -c flashsale -n "__fish_flashsale_using_subcommand help; and not __fish_seen_subcommand_from campaign claim inventory events simulate completions man jwt serve doctor help" -f -a "completions" -d 'Print a shell completion script to stdout'
complete -c flashsale -n "__fish_flashsale_using_subcommand help; and not __fish_seen_subcommand_from campaign claim inventory events simulate completions man jwt serve doctor help" -f -a "man" -d 'Print the manual page (roff) of flashsale or one of its commands to stdout'
complete -c flashsale -n "__fish_flashsale_using_subcommand help; and not __fish_seen_subcommand_from campaign claim inventory events simulate completions man jwt serve doctor help" -f -a "jwt" -d 'Mint JWTs for tests and demos (no store needed)'
complete -c flashsale -n "__fish_flashsale_using_subcommand help; and not __fish_seen_subcommand_from campaign claim inventory events simulate completions man jwt serve doctor help" -f -a "serve" -d 'Serve the claim flow as an HTTP API (shoppers authenticate with JWTs)'
complete -c flashsale -n "__fish_flashsale_using_subcommand help; and not __fish_seen_subcommand_from campaign claim inventory events simulate completions man jwt serve doctor help" -f -a "doctor" -d 'Check that the store is set up right: ok / warn / fail per check; exit 1 on a fail'
complete -c flashsale -n "__fish_flashsale_using_subcommand help; and not __fish_seen_subcommand_from campaign claim inventory events simulate completions man jwt serve doctor help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c flashsale -n "__fish_flashsale_using_subcommand help; and __fish_seen_subcommand_from campaign" -f -a "create" -d 'Create a campaign (prompts for missing fields on a terminal)'
complete -c flashsale -n "__fish_flashsale_using_subcommand help; and __fish_seen_subcommand_from campaign" -f -a "status" -d 'Show one campaign and its state now'
complete -c flashsale -n "__fish_flashsale_using_subcommand help; and __fish_seen_subcommand_from campaign" -f -a "list" -d 'List every campaign, oldest first'
complete -c flashsale -n "__fish_flashsale_using_subcommand help; and __fish_seen_subcommand_from campaign" -f -a "end" -d 'Stop a campaign now: no new claims are accepted (existing claims still replay)'
complete -c flashsale -n "__fish_flashsale_using_subcommand help; and __fish_seen_subcommand_from campaign" -f -a "pause" -d 'Pause a campaign: new claims are refused until it resumes (replays and redeems work)'
complete -c flashsale -n "__fish_flashsale_using_subcommand help; and __fish_seen_subcommand_from campaign" -f -a "resume" -d 'Resume a paused campaign: claims are accepted again inside its window'
complete -c flashsale -n "__fish_flashsale_using_subcommand help; and __fish_seen_subcommand_from campaign" -f -a "extend" -d 'Move a campaign\'s end later (never earlier)'
complete -c flashsale -n "__fish_flashsale_using_subcommand help; and __fish_seen_subcommand_from campaign" -f -a "report" -d 'The post-sale report: claims, redemptions, money, the sold-out instant, claims per second or minute; `--html FILE` also writes a page with charts'
complete -c flashsale -n "__fish_flashsale_using_subcommand help; and __fish_seen_subcommand_from campaign" -f -a "watch" -d 'Watch a running sale, read from the store every second: units left, claims per second, redemptions, voids, expiries, when it sells out. Full screen on a terminal; one line (or, with `-o json`, one JSON document) per read otherwise'
complete -c flashsale -n "__fish_flashsale_using_subcommand help; and __fish_seen_subcommand_from claim" -f -a "show" -d 'Show one claim: its status, discount and redemption. Never creates or changes one'
complete -c flashsale -n "__fish_flashsale_using_subcommand help; and __fish_seen_subcommand_from claim" -f -a "redeem" -d 'Redeem a claim\'s token at checkout, for one order (a retry with the same order replays)'
complete -c flashsale -n "__fish_flashsale_using_subcommand help; and __fish_seen_subcommand_from claim" -f -a "void" -d 'Void a claim (fraud, a refund): its unit returns to the inventory'
complete -c flashsale -n "__fish_flashsale_using_subcommand help; and __fish_seen_subcommand_from claim" -f -a "export" -d 'Stream every claim of a campaign as CSV or JSON lines, in a stable order'
complete -c flashsale -n "__fish_flashsale_using_subcommand help; and __fish_seen_subcommand_from inventory" -f -a "show" -d 'Show total, claimed and remaining units'
complete -c flashsale -n "__fish_flashsale_using_subcommand help; and __fish_seen_subcommand_from inventory" -f -a "add" -d 'Restock: add N units to the total and to what remains'
complete -c flashsale -n "__fish_flashsale_using_subcommand help; and __fish_seen_subcommand_from inventory" -f -a "remove" -d 'Take N unclaimed units off sale (never below what claims hold)'
complete -c flashsale -n "__fish_flashsale_using_subcommand help; and __fish_seen_subcommand_from inventory" -f -a "expire" -d 'Expire the claims whose hold ran out now, returning their units (safe during a sale)'
complete -c flashsale -n "__fish_flashsale_using_subcommand help; and __fish_seen_subcommand_from inventory" -f -a "reconcile" -d 'Recompute `remaining` from the claims and report drift (repair it with --apply)'
complete -c flashsale -n "__fish_flashsale_using_subcommand help; and __fish_seen_subcommand_from jwt" -f -a "mint" -d 'Mint a token for a user (tests and demos): HS256 with the configured secret, or RS256, ES256 or `EdDSA` with `--private-key-file`'
