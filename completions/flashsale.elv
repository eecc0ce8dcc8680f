
use builtin;
use str;

set edit:completion:arg-completer[flashsale] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'flashsale'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'flashsale'= {
            cand --store 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]'
            cand -o 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand --output 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand campaign 'Create, inspect, list, pause, resume, extend and end campaigns'
            cand claim 'Claim a discount for a user; show, redeem, void or export claims'
            cand inventory 'Show, restock, remove, expire and reconcile a campaign''s inventory'
            cand events 'Print the audit log: who changed which campaign, claim or inventory, and when'
            cand simulate 'Fire N concurrent users at a campaign and prove the store kept every invariant'
            cand completions 'Print a shell completion script to stdout'
            cand man 'Print the manual page (roff) of flashsale or one of its commands to stdout'
            cand jwt 'Mint JWTs for tests and demos (no store needed)'
            cand serve 'Serve the claim flow as an HTTP API (shoppers authenticate with JWTs)'
            cand doctor 'Check that the store is set up right: ok / warn / fail per check; exit 1 on a fail'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'flashsale;campaign'= {
            cand --store 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]'
            cand -o 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand --output 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand create 'Create a campaign (prompts for missing fields on a terminal)'
            cand status 'Show one campaign and its state now'
            cand list 'List every campaign, oldest first'
            cand end 'Stop a campaign now: no new claims are accepted (existing claims still replay)'
            cand pause 'Pause a campaign: new claims are refused until it resumes (replays and redeems work)'
            cand resume 'Resume a paused campaign: claims are accepted again inside its window'
            cand extend 'Move a campaign''s end later (never earlier)'
            cand report 'The post-sale report: claims, redemptions, money, the sold-out instant, claims per second or minute; `--html FILE` also writes a page with charts'
            cand watch 'Watch a running sale, read from the store every second: units left, claims per second, redemptions, voids, expiries, when it sells out. Full screen on a terminal; one line (or, with `-o json`, one JSON document) per read otherwise'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'flashsale;campaign;create'= {
            cand --name 'Campaign name (1 to 200 characters)'
            cand --inventory 'Units on sale (how many claims can succeed)'
            cand --percent-off 'Percent off the cart, in (0, 100], e.g. 15 or 12.5'
            cand --max-discount 'Cap on one discount, e.g. 20.00'
            cand --min-cart 'Smallest eligible cart [default: 0]'
            cand --currency 'Currency code [default: EUR]'
            cand --id 'Campaign id, a slug of [a-z0-9-]{1,64} [default: derived from the name]'
            cand --starts-at 'When claims open: RFC 3339 time or `now` [default: now]'
            cand --ends-at 'When claims close: RFC 3339 time'
            cand --duration 'How long claims stay open after the start, e.g. 30m, 2h, 1d, 1h30m'
            cand --hold 'How long a claim holds its unit before it must be redeemed, e.g. 15m; an unredeemed claim then expires and its unit returns [default: no hold, claims never expire]'
            cand --store 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]'
            cand -o 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand --output 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'flashsale;campaign;status'= {
            cand --store 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]'
            cand -o 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand --output 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'flashsale;campaign;list'= {
            cand --state 'Only the campaigns in this state now'
            cand --store 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]'
            cand -o 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand --output 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'flashsale;campaign;end'= {
            cand --store 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]'
            cand -o 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand --output 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand -y 'Do it without asking (scripts; needed when there is no terminal to ask on)'
            cand --yes 'Do it without asking (scripts; needed when there is no terminal to ask on)'
            cand --dry-run 'Show what would change, and change nothing'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'flashsale;campaign;pause'= {
            cand --store 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]'
            cand -o 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand --output 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'flashsale;campaign;resume'= {
            cand --store 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]'
            cand -o 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand --output 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'flashsale;campaign;extend'= {
            cand --ends-at 'The new end: an RFC 3339 time after the current end'
            cand --duration 'How much later the campaign ends, e.g. 30m or 1h'
            cand --store 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]'
            cand -o 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand --output 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'flashsale;campaign;report'= {
            cand --per 'The timeline''s bucket: claims per second (a rush) or per minute (a sale of hours)'
            cand --html 'Also write the report to FILE as one self-contained HTML page with charts (no script, nothing fetched: it opens offline)'
            cand --store 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]'
            cand -o 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand --output 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'flashsale;campaign;watch'= {
            cand --interval 'How often to read the store: `1s`, `5s`, `500ms` (at least 100ms)'
            cand --ticks 'Stop after N reads (for scripts); without it, watch until `q`, Esc, Ctrl-C or SIGTERM'
            cand --store 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]'
            cand -o 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand --output 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand --all 'Watch every campaign inside its window (live, paused or sold out), as they come and go'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'flashsale;campaign;help'= {
            cand create 'Create a campaign (prompts for missing fields on a terminal)'
            cand status 'Show one campaign and its state now'
            cand list 'List every campaign, oldest first'
            cand end 'Stop a campaign now: no new claims are accepted (existing claims still replay)'
            cand pause 'Pause a campaign: new claims are refused until it resumes (replays and redeems work)'
            cand resume 'Resume a paused campaign: claims are accepted again inside its window'
            cand extend 'Move a campaign''s end later (never earlier)'
            cand report 'The post-sale report: claims, redemptions, money, the sold-out instant, claims per second or minute; `--html FILE` also writes a page with charts'
            cand watch 'Watch a running sale, read from the store every second: units left, claims per second, redemptions, voids, expiries, when it sells out. Full screen on a terminal; one line (or, with `-o json`, one JSON document) per read otherwise'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'flashsale;campaign;help;create'= {
        }
        &'flashsale;campaign;help;status'= {
        }
        &'flashsale;campaign;help;list'= {
        }
        &'flashsale;campaign;help;end'= {
        }
        &'flashsale;campaign;help;pause'= {
        }
        &'flashsale;campaign;help;resume'= {
        }
        &'flashsale;campaign;help;extend'= {
        }
        &'flashsale;campaign;help;report'= {
        }
        &'flashsale;campaign;help;watch'= {
        }
        &'flashsale;campaign;help;help'= {
        }
        &'flashsale;claim'= {
            cand --campaign 'The campaign to claim from'
            cand --user 'The user, asserted by the operator (1 to 128 characters). Refused when `FLASHSALE_REQUIRE_JWT=1`'
            cand --jwt 'The shopper''s JWT: the user is its verified `sub`. `-` reads it from stdin; the environment variable keeps it out of argv too'
            cand --jwt-public-key-file 'PEM public key verifying `--jwt` (RSA: RS256, EC P-256: ES256) instead of the secret'
            cand --jwt-secret-file 'File holding the HS256 secret (at least 32 bytes; one trailing newline is ignored) [default: the value of `FLASHSALE_JWT_SECRET`]'
            cand --jwt-issuer 'Issuer (`iss`) that tokens must carry; `jwt mint` puts it in the token'
            cand --jwt-audience 'Audience (`aud`) that tokens must carry; `jwt mint` puts it in the token'
            cand --cart 'The shopper''s cart, e.g. 64.90'
            cand --store 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]'
            cand -o 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand --output 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand show 'Show one claim: its status, discount and redemption. Never creates or changes one'
            cand redeem 'Redeem a claim''s token at checkout, for one order (a retry with the same order replays)'
            cand void 'Void a claim (fraud, a refund): its unit returns to the inventory'
            cand export 'Stream every claim of a campaign as CSV or JSON lines, in a stable order'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'flashsale;claim;show'= {
            cand --campaign 'The campaign'
            cand --user 'The claim''s user'
            cand --token 'The claim''s token (it may start with `-`)'
            cand --store 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]'
            cand -o 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand --output 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'flashsale;claim;redeem'= {
            cand --campaign 'The campaign'
            cand --token 'The token the shopper presents at checkout (it may start with `-`)'
            cand --order 'The shop''s order id (1 to 128 characters); a retry with the same order replays'
            cand --cart 'The checkout cart, e.g. 64.90: the discount is priced again on it'
            cand --store 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]'
            cand -o 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand --output 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'flashsale;claim;void'= {
            cand --campaign 'The campaign'
            cand --user 'The claim''s user'
            cand --token 'The claim''s token (it may start with `-`)'
            cand --reason 'Why, for the audit log and the export (e.g. fraud, refund): one line of 1 to 200 characters'
            cand --store 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]'
            cand -o 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand --output 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand -y 'Do it without asking (scripts; needed when there is no terminal to ask on)'
            cand --yes 'Do it without asking (scripts; needed when there is no terminal to ask on)'
            cand --dry-run 'Show what would change, and change nothing'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'flashsale;claim;export'= {
            cand --campaign 'The campaign'
            cand --status 'Only the claims with this status'
            cand --format 'csv or jsonl'
            cand --out 'Write to FILE instead of stdout. A regular file is replaced only once the export is complete, keeping its permissions; a device or a named pipe is written through; a symbolic link or a directory is refused'
            cand --store 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]'
            cand -o 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand --output 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'flashsale;claim;help'= {
            cand show 'Show one claim: its status, discount and redemption. Never creates or changes one'
            cand redeem 'Redeem a claim''s token at checkout, for one order (a retry with the same order replays)'
            cand void 'Void a claim (fraud, a refund): its unit returns to the inventory'
            cand export 'Stream every claim of a campaign as CSV or JSON lines, in a stable order'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'flashsale;claim;help;show'= {
        }
        &'flashsale;claim;help;redeem'= {
        }
        &'flashsale;claim;help;void'= {
        }
        &'flashsale;claim;help;export'= {
        }
        &'flashsale;claim;help;help'= {
        }
        &'flashsale;inventory'= {
            cand --store 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]'
            cand -o 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand --output 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand show 'Show total, claimed and remaining units'
            cand add 'Restock: add N units to the total and to what remains'
            cand remove 'Take N unclaimed units off sale (never below what claims hold)'
            cand expire 'Expire the claims whose hold ran out now, returning their units (safe during a sale)'
            cand reconcile 'Recompute `remaining` from the claims and report drift (repair it with --apply)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'flashsale;inventory;show'= {
            cand --store 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]'
            cand -o 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand --output 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'flashsale;inventory;add'= {
            cand --store 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]'
            cand -o 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand --output 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'flashsale;inventory;remove'= {
            cand --store 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]'
            cand -o 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand --output 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand -y 'Do it without asking (scripts; needed when there is no terminal to ask on)'
            cand --yes 'Do it without asking (scripts; needed when there is no terminal to ask on)'
            cand --dry-run 'Show what would change, and change nothing'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'flashsale;inventory;expire'= {
            cand --store 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]'
            cand -o 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand --output 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'flashsale;inventory;reconcile'= {
            cand --store 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]'
            cand -o 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand --output 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand --apply 'Write the repaired `remaining` (without it, only report). Checks the store''s integrity first, and refuses a drift larger than a crash can strand'
            cand -y 'Do it without asking (scripts; needed when there is no terminal to ask on)'
            cand --yes 'Do it without asking (scripts; needed when there is no terminal to ask on)'
            cand --dry-run 'Show what would change, and change nothing'
            cand --force 'With --apply: repair even a drift larger than a crash can strand (after a restored backup or a manual edit you know about). A damaged store is still refused'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'flashsale;inventory;help'= {
            cand show 'Show total, claimed and remaining units'
            cand add 'Restock: add N units to the total and to what remains'
            cand remove 'Take N unclaimed units off sale (never below what claims hold)'
            cand expire 'Expire the claims whose hold ran out now, returning their units (safe during a sale)'
            cand reconcile 'Recompute `remaining` from the claims and report drift (repair it with --apply)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'flashsale;inventory;help;show'= {
        }
        &'flashsale;inventory;help;add'= {
        }
        &'flashsale;inventory;help;remove'= {
        }
        &'flashsale;inventory;help;expire'= {
        }
        &'flashsale;inventory;help;reconcile'= {
        }
        &'flashsale;inventory;help;help'= {
        }
        &'flashsale;events'= {
            cand --campaign 'Only this campaign''s events'
            cand --since 'Only events at or after this RFC 3339 time'
            cand --store 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]'
            cand -o 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand --output 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand --follow 'Keep printing new events as they are written, until Ctrl-C or SIGTERM (exit 130)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'flashsale;simulate'= {
            cand --users 'Simulated users, each a concurrent task with its own user id'
            cand --inventory 'Units of the campaign to create (required unless --campaign)'
            cand --tabs 'Concurrent requests (tabs) a duplicating user sends before one retry'
            cand --duplicate-ratio 'Share of users, from 0 to 1, who send tabs and a retry'
            cand --redeem-ratio 'Share of users, from 0 to 1, who redeem their claim at checkout (a third of them retry the same order, a third try a second order)'
            cand --void-ratio 'Share of users, from 0 to 1, whose claim an operator voids during the run (racing their redemption); each then claims again and must get the voided claim back'
            cand --concurrency 'Users in flight at once (a closed loop: each starts when another finishes)'
            cand --arrivals 'An open loop instead: the users arrive over DURATION, each starting at its instant whether or not earlier ones finished. KIND is uniform (evenly), burst (most at the opening, thinning out) or ramp (rising); e.g. burst:1s, uniform:10s, ramp:30s'
            cand --html 'Also write the report as a self-contained HTML page with charts over the run (requests and outcomes, latency, offered and completed users, remaining units). Replaced whole; a symbolic link or a directory is refused'
            cand --seed 'Seed of the users'' carts and tabs; the report shows it so a run can be repeated [default: random]'
            cand --campaign 'Claim from this existing live campaign instead of creating one: spends its real units (asks first; --yes for scripts). Prefer --like'
            cand --like 'Rehearse on a throw-away copy of this campaign''s rule and remaining inventory (the campaign itself is only read; the copy is removed unless --keep)'
            cand --cart-min 'Smallest cart drawn, e.g. 10.00 (with --cart-max) [default: 10.00]'
            cand --cart-max 'Largest cart drawn, e.g. 150.00 (with --cart-min) [default: 150.00]'
            cand --hold 'Give the created campaign a hold, e.g. 2s: unredeemed claims expire that long after they were made, and the simulated operator''s sweeps return their units during the run [default: no hold]. --like copies its campaign''s hold'
            cand --target 'Claim through a running `flashsale serve` at this URL (http://HOST:PORT) instead of in this process: one keep-alive HTTP client pool, one JWT per user signed with the server''s key (`FLASHSALE_JWT_SECRET` or `--jwt-secret-file`); the users'' redemptions and claims again after a void go to the server too. `--store` must name the server''s store: the audit reads it, and the simulated operator''s voids and sweeps write to it'
            cand --jwt-secret-file 'File holding the HS256 secret (at least 32 bytes; one trailing newline is ignored) [default: the value of `FLASHSALE_JWT_SECRET`]'
            cand --jwt-issuer 'Issuer (`iss`) that tokens must carry; `jwt mint` puts it in the token'
            cand --jwt-audience 'Audience (`aud`) that tokens must carry; `jwt mint` puts it in the token'
            cand --store 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]'
            cand -o 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand --output 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand --yes 'With --campaign: spend the campaign''s units without asking'
            cand --keep 'Keep the campaign the simulation created (it is removed by default)'
            cand --jwt 'Claim through JWTs: each user gets one HS256 token, minted before its first request, and every request (each tab and the retry) verifies it; the report times verification. Signed with `FLASHSALE_JWT_SECRET` or `--jwt-secret-file` when given, else with a random key that exists only in this process'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'flashsale;completions'= {
            cand --store 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]'
            cand -o 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand --output 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'flashsale;man'= {
            cand --store 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]'
            cand -o 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand --output 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'flashsale;jwt'= {
            cand --store 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]'
            cand -o 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand --output 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand mint 'Mint a token for a user (tests and demos): HS256 with the configured secret, or RS256, ES256 or `EdDSA` with `--private-key-file`'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'flashsale;jwt;mint'= {
            cand --user 'The user the token speaks for (its `sub`)'
            cand --ttl 'How long the token is valid, e.g. 90s, 15m, 1h (at most 24h)'
            cand --private-key-file 'PEM private key to sign with instead of the secret: RSA signs RS256, EC P-256 ES256, Ed25519 `EdDSA` (to try `serve --jwt-public-key-file` or a key set locally)'
            cand --kid 'Key id (`kid`) put in the token''s header, naming the key in a key set'
            cand --scope 'Scopes the token grants (its `scope` claim, space-separated): `flashsale:admin` for the admin API of `serve`'
            cand --jwt-secret-file 'File holding the HS256 secret (at least 32 bytes; one trailing newline is ignored) [default: the value of `FLASHSALE_JWT_SECRET`]'
            cand --jwt-issuer 'Issuer (`iss`) that tokens must carry; `jwt mint` puts it in the token'
            cand --jwt-audience 'Audience (`aud`) that tokens must carry; `jwt mint` puts it in the token'
            cand --store 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]'
            cand -o 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand --output 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'flashsale;jwt;help'= {
            cand mint 'Mint a token for a user (tests and demos): HS256 with the configured secret, or RS256, ES256 or `EdDSA` with `--private-key-file`'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'flashsale;jwt;help;mint'= {
        }
        &'flashsale;jwt;help;help'= {
        }
        &'flashsale;serve'= {
            cand --listen 'Address to listen on (port 0 picks a free port; the bound address is printed)'
            cand --jwt-public-key-file 'PEM public key verifying shoppers'' JWTs (RSA: RS256, EC P-256: ES256) instead of the secret'
            cand --jwks-url 'URL of the issuer''s JSON Web Key Set (RS256, ES256 and `EdDSA` keys by `kid`), fetched at start and again when its Cache-Control max-age runs out or a token names an unknown `kid` (at most every 10s); the last good set is kept while the issuer is unreachable'
            cand --jwks-file 'JSON Web Key Set file verifying shoppers'' JWTs (RS256, ES256 and `EdDSA` keys by `kid`), read at start'
            cand --jwt-secret-file 'File holding the HS256 secret (at least 32 bytes; one trailing newline is ignored) [default: the value of `FLASHSALE_JWT_SECRET`]'
            cand --jwt-issuer 'Issuer (`iss`) that tokens must carry; `jwt mint` puts it in the token'
            cand --jwt-audience 'Audience (`aud`) that tokens must carry; `jwt mint` puts it in the token'
            cand --request-timeout 'Longest time one request may take before it is answered 503'
            cand --header-timeout 'Longest time a client may take to send a request''s headers (and then its body), or stay idle between requests, before it is disconnected'
            cand --max-in-flight 'Requests served at once; more are answered 503 with Retry-After at once'
            cand --max-connections 'Connections open at once; more wait in the listen backlog until one closes'
            cand --grace 'On SIGTERM or Ctrl-C, how long requests in flight may take to finish'
            cand --expire-every 'How often claims past their campaign''s hold are expired and their units returned (short against any sensible hold; each sweep is one query per campaign with a hold)'
            cand --cors-origin 'A web origin whose pages may call the API from the browser (`https://shop.example`), repeatable; none by default. In the variable, origins are separated by commas'
            cand --log-format 'The log''s format on stderr: `text`, or `json` (one JSON object per line). By default, `json` with `--output json` and `text` otherwise'
            cand --store 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]'
            cand -o 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand --output 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'flashsale;doctor'= {
            cand --store 'Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]'
            cand -o 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand --output 'How to print results: `table` for people, `json` for scripts (one document, errors too)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'flashsale;help'= {
            cand campaign 'Create, inspect, list, pause, resume, extend and end campaigns'
            cand claim 'Claim a discount for a user; show, redeem, void or export claims'
            cand inventory 'Show, restock, remove, expire and reconcile a campaign''s inventory'
            cand events 'Print the audit log: who changed which campaign, claim or inventory, and when'
            cand simulate 'Fire N concurrent users at a campaign and prove the store kept every invariant'
            cand completions 'Print a shell completion script to stdout'
            cand man 'Print the manual page (roff) of flashsale or one of its commands to stdout'
            cand jwt 'Mint JWTs for tests and demos (no store needed)'
            cand serve 'Serve the claim flow as an HTTP API (shoppers authenticate with JWTs)'
            cand doctor 'Check that the store is set up right: ok / warn / fail per check; exit 1 on a fail'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'flashsale;help;campaign'= {
            cand create 'Create a campaign (prompts for missing fields on a terminal)'
            cand status 'Show one campaign and its state now'
            cand list 'List every campaign, oldest first'
            cand end 'Stop a campaign now: no new claims are accepted (existing claims still replay)'
            cand pause 'Pause a campaign: new claims are refused until it resumes (replays and redeems work)'
            cand resume 'Resume a paused campaign: claims are accepted again inside its window'
            cand extend 'Move a campaign''s end later (never earlier)'
            cand report 'The post-sale report: claims, redemptions, money, the sold-out instant, claims per second or minute; `--html FILE` also writes a page with charts'
            cand watch 'Watch a running sale, read from the store every second: units left, claims per second, redemptions, voids, expiries, when it sells out. Full screen on a terminal; one line (or, with `-o json`, one JSON document) per read otherwise'
        }
        &'flashsale;help;campaign;create'= {
        }
        &'flashsale;help;campaign;status'= {
        }
        &'flashsale;help;campaign;list'= {
        }
        &'flashsale;help;campaign;end'= {
        }
        &'flashsale;help;campaign;pause'= {
        }
        &'flashsale;help;campaign;resume'= {
        }
        &'flashsale;help;campaign;extend'= {
        }
        &'flashsale;help;campaign;report'= {
        }
        &'flashsale;help;campaign;watch'= {
        }
        &'flashsale;help;claim'= {
            cand show 'Show one claim: its status, discount and redemption. Never creates or changes one'
            cand redeem 'Redeem a claim''s token at checkout, for one order (a retry with the same order replays)'
            cand void 'Void a claim (fraud, a refund): its unit returns to the inventory'
            cand export 'Stream every claim of a campaign as CSV or JSON lines, in a stable order'
        }
        &'flashsale;help;claim;show'= {
        }
        &'flashsale;help;claim;redeem'= {
        }
        &'flashsale;help;claim;void'= {
        }
        &'flashsale;help;claim;export'= {
        }
        &'flashsale;help;inventory'= {
            cand show 'Show total, claimed and remaining units'
            cand add 'Restock: add N units to the total and to what remains'
            cand remove 'Take N unclaimed units off sale (never below what claims hold)'
            cand expire 'Expire the claims whose hold ran out now, returning their units (safe during a sale)'
            cand reconcile 'Recompute `remaining` from the claims and report drift (repair it with --apply)'
        }
        &'flashsale;help;inventory;show'= {
        }
        &'flashsale;help;inventory;add'= {
        }
        &'flashsale;help;inventory;remove'= {
        }
        &'flashsale;help;inventory;expire'= {
        }
        &'flashsale;help;inventory;reconcile'= {
        }
        &'flashsale;help;events'= {
        }
        &'flashsale;help;simulate'= {
        }
        &'flashsale;help;completions'= {
        }
        &'flashsale;help;man'= {
        }
        &'flashsale;help;jwt'= {
            cand mint 'Mint a token for a user (tests and demos): HS256 with the configured secret, or RS256, ES256 or `EdDSA` with `--private-key-file`'
        }
        &'flashsale;help;jwt;mint'= {
        }
        &'flashsale;help;serve'= {
        }
        &'flashsale;help;doctor'= {
        }
        &'flashsale;help;help'= {
        }
    ]
    $completions[$command]
}
