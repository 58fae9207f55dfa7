# Writes the manual page sopd.yaml(5), in mdoc, from the documentation in deploy/sopd.example.yaml:
#   awk -v date=2026-11-28 -f deploy/man/sopd-yaml.5.awk deploy/sopd.example.yaml > sopd.yaml.5
# The comments before the first key make the DESCRIPTION; each top-level mapping is a subsection;
# each run of comment lines documents the keys that follow it (set, or commented out as optional),
# which are listed by their dotted names with the example's lines. Key names start in lower case,
# which tells a commented-out key ("# caFile: …") from prose ("# Ranges: …").

function roff(text) {
    gsub(/\\/, "\\e", text)
    if (text ~ /^[.']/) text = "\\&" text
    return text
}

# Ends the group of keys under way: their names, their documentation, and the example's lines.
function flush(    i) {
    if (keys == 0) { doc = ""; return }
    printf ".It Cm %s", key[1]
    for (i = 2; i <= keys; i++) printf " , %s", key[i]
    printf "\n"
    if (doc != "") printf "%s", doc
    print ".Bd -literal -offset indent"
    for (i = 1; i <= examples; i++) print roff(example[i])
    print ".Ed"
    keys = 0; examples = 0; doc = ""
}

BEGIN {
    print ".Dd " date
    print ".Dt SOPD.YAML 5"
    print ".Os"
    print ".Sh NAME"
    print ".Nm sopd.yaml"
    print ".Nd configuration of sopd, the sales-order sync daemon for Dynamics 365 Sales"
    print ".Sh SYNOPSIS"
    print ".Pa /etc/sopd/sopd.yaml"
    print ".Sh DESCRIPTION"
    header = 1; keys = 0; examples = 0; doc = ""; inlist = 0
}

# Blank lines end a paragraph of the header, and nothing else.
/^[ \t]*$/ { if (header && headerText) { print ".Pp"; headerText = 0 }; next }

{
    line = $0
    match(line, /^ */); indent = RLENGTH
    body = substr(line, indent + 1)
    commented = 0
    if (body ~ /^#/) {
        text = body; sub(/^# ?/, "", text)
        match(text, /^ */); inner = RLENGTH
        if (!header && text ~ /^ *[a-z][A-Za-z]*:( |$)/) {
            commented = 1; indent += inner; body = substr(text, inner + 1)
        } else {
            if (text == "") { if (header && headerText) { print ".Pp"; headerText = 0 }; next }
            if (header) { print roff(text); headerText = 1; next }
            if (keys > 0) flush()
            doc = doc roff(text) "\n"
            next
        }
    }
    name = body; sub(/:.*/, "", name)
    value = body; sub(/^[^:]*: */, "", value)
    level = int(indent / 2)
    path[level] = name
    if (level == 0) {
        flush()
        if (inlist) print ".El"
        header = 0
        print ".Ss " name
        print ".Bl -tag -width Ds"
        inlist = 1
        next
    }
    full = path[0]
    for (i = 1; i <= level; i++) full = full "." path[i]
    example[++examples] = sprintf("%*s%s%s", (level - 1) * 2, "", commented ? "# " : "", body)
    if (value == "") next
    key[++keys] = full
}

END {
    flush()
    if (inlist) print ".El"
    print ".Sh FILES"
    print ".Bl -tag -width Ds"
    print ".It Pa /etc/sopd/sopd.yaml"
    print "The configuration the units read (mode 0640, group sopd)."
    print ".It Pa /etc/sopd/credentials/"
    print "The secrets, one file per key with dots as dashes (dataverse-clientSecret), mode 0700, root's; systemd hands them to sopd with LoadCredential=."
    print ".It Pa /var/lib/sopd/journal.sqlite"
    print "The journal, the default of journal.path."
    print ".El"
    print ".Sh SEE ALSO"
    print ".Xr sopd 8"
}
