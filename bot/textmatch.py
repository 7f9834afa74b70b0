"""Text normalisation and typo-tolerant token matching for the resolver (pure).

Questions and keywords go through the same pipeline: lowercase, punctuation to
spaces, a light stemmer (patches/patching/patched -> patch; upgrade/upgrading/upgraded -> upgrad;
encryption/encrypted -> encrypt), stop words dropped. Abbreviations people type (db, sg, nsg, cert, cmk,
pitr, 2fa, eol ...) are spelled out first, in questions and keywords alike.
A question token matches a vocabulary token when equal, or, for tokens of five
characters or more, when rapidfuzz's ratio is at least ``FUZZY_CUTOFF``.
"""
from __future__ import annotations

import hashlib
import json
import re
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator

from rapidfuzz import fuzz, process

from bot.datafiles import write_cache

FUZZY_CUTOFF = 84.0
FUZZY_MIN_LEN = 5

_SPLIT = re.compile(r"[^a-z0-9]+")
_VERSION_MOVE = re.compile(r"\bv?(\d+)((?:\.\d+)*)\s*(?:-+>|→|\bto\b|\bonto\b)\s*v?(\d+)((?:\.\d+)*)\b")


def _upgrade(old_major: str, new_major: str) -> str:
    return "major version upgrade" if old_major != new_major else "version upgrade"


_WORKSPACE = re.compile(r"\b(?:workspace|admin console|gmail|google drive|google docs|g suite|gsuite)\b")
_DIRECTORY = re.compile(r"\b(?:ad|active directory|directory|domain|domain services|aadds|adds|entra ds)\b")
_PHYSICAL_DC = re.compile(r"\bphysical\s+dcs?\b|\bdcs?\s+(?:security|access|power|cooling|guards|facilities|facility)\b")


def _version_move(m: re.Match[str]) -> str:
    return _upgrade(m.group(1), m.group(3))


# "still on 1.3, whose job is upgrading it to 2.x": the version it is on, then the one it goes to (dotted, so that
# "on 2 nodes, scaling to 4" is not a version)
# (one word may name what is versioned: "on runtime v1.x, who migrates them to 4.x")
_VERSION_ON_TO = re.compile(r"\bon\s+([a-z]+\s+)?[~v]?(\d+)(\.(?:\d+|x))?(?=\b.*\bto\s+[~v]?(\d+)(\.(?:\d+|x))?\b)")


# an engine or runtime named before the number makes whole numbers versions too ("on postgres 13 ... take us to 16")
_VERSIONED = frozenset(("postgres", "postgresql", "pg", "mysql", "mariadb", "kubernetes", "k8s", "python", "node",
                        "nodejs", "java", "ruby", "go", "dotnet", "php", "redis", "valkey", "elasticsearch", "runtime",
                        "opensearch", "kafka", "spark", "oracle", "mongodb", "mongo", "cassandra", "memcached"))


# "rds *postgres 13* boxes. is moving them *to pg 16* ...": an engine's version, then the one it moves to
_ENGINES = "|".join(sorted(_VERSIONED, key=len, reverse=True))
_ENGINE_VERSION_TO = re.compile(r"\b(" + _ENGINES + r")\s+v?(\d+)(?:\.\d+)*\b"
                                r"(?=.*?\bto\s+(?:(?:" + _ENGINES + r")\s+)?[~v]?(\d+)(?:\.\d+|\.x)*\b)")


def _engine_version_to(m: re.Match[str]) -> str:
    if m.group(1) == "node" and len(m.group(2)) < 2:  # "node 1 fails over to node 2" names nodes, not node.js
        return m.group(0)
    return m.group(1) + " " + _upgrade(m.group(2), m.group(3))


def _version_on_to(m: re.Match[str]) -> str:
    if not (m.group(3) or m.group(5) or (m.group(1) or "").strip() in _VERSIONED):
        return m.group(0)
    return "on " + (m.group(1) or "") + _upgrade(m.group(2), m.group(4))


# "copies in multiple azs", "spread over several zones": across them; regions only when several ("replicas *in other
# regions*" says where they are, not that they are spread)
_SEVERAL = r"\b(?:in|into|over|on|to)\s+(?:multiple|several|many|different|separate|two|three|2|3{})\s+"
_SPREAD = re.compile(_SEVERAL.format("|other") + r"(azs|availability zones|zones)\b")
_SPREAD_REGIONS = re.compile(_SEVERAL.format("") + r"(regions)\b")

# (a literal the pattern needs, or several of which one must be there, so most texts skip most regexes; pattern;
# replacement)
_PARTICLE_VERBS = (r"set|sets|setting|turn|turns|turning|switch|switches|switching|back|backs|backing|spin|spins|lock|"
                   r"locks|fail|fails|failing|failed")
# a service's name of one or two words in a list ("s3", "cloud sql"), not the words that ask after it
_NAME = r"[\w/-]+(?:\s+(?!who\b|whose\b|is\b|are\b|do\b|does\b|and\b|or\b)[\w/-]+)?"


def swaps(word: str) -> list[str]:
    """The word with two neighbouring letters typed the wrong way round, each way."""
    return [word[:i] + word[i + 1] + word[i] + word[i + 2:] for i in range(len(word) - 1) if word[i] != word[i + 1]]


def drops(word: str, *, inner: bool = False) -> list[str]:
    """The word typed with one letter left out, each way (``inner``: never its first or last letter)."""
    return [word[:i] + word[i + 1:] for i in (range(1, len(word) - 1) if inner else range(len(word)))]


# a word that stands for the thing said before, typed with two letters swapped ("who rotates *thoes*")
_POINTER_TYPOS = {typo: word for word in ("those", "these", "them", "their", "there") for typo in swaps(word)
                  if typo not in {"three", "thees"}}  # (words of their own)

# a provider's layer when said to be its own ("google's *own network*", "on its own *infrastructure*"; "aws network
# firewall" is a service): bot/off_topic.py names_provider_layer, and the "on its own" fix below
OWN_LAYER_WORDS = frozenset("""network networks backbone fiber fibre systems infrastructure platform hardware boundary
boundaries hosts servers""".split())

# negative contractions typed without the apostrophe ("our endpoints *arent* in a vnet"): read as with it
_BARE_CONTRACTIONS = {bare: bare[:-2] + "n't" for bare in """arent isnt dont doesnt didnt wasnt werent hasnt havent
hadnt wouldnt shouldnt couldnt cant wont""".split()}

# typos of the words the fixes below read as written ("aws *manged* keys", "*mainteance* window")
_NEEDED_WORD_TYPOS = {"manged": "managed", "managd": "managed", "manageed": "managed", "mangaed": "managed",
                      "mananged": "managed", "mainteance": "maintenance", "maintainance": "maintenance",
                      "maintenace": "maintenance", "maintanance": "maintenance", "maintenence": "maintenance",
                      "maintanence": "maintenance", "maintainence": "maintenance",
                      "paches": "patches", "pached": "patched", "paching": "patching", "pach": "patch",
                      "secuirty": "security", "securtiy": "security", "secruity": "security", "seucrity": "security",
                      "securty": "security", "secutiry": "security", "scurity": "security", "securiy": "security",
                      "shoud": "should", "shuold": "should", "shold": "should", "wat": "what", "mgmt": "management",
                      "incl": "including", "polices": "policies", "polcies": "policies", "policys": "policies",
                      # a letter dropped from "encryption", which task keywords read as written ("at-rest *encrytion*")
                      "encrytion": "encryption", "encrpytion": "encryption", "encyption": "encryption",
                      "encrption": "encryption", "encryptin": "encryption", "encription": "encryption",
                      "encrypion": "encryption", "encrytpion": "encryption",
                      # ... and of "ingress"/"egress" ("lock the *ingres* down to internal")
                      "ingres": "ingress", "ingess": "ingress", "igress": "ingress", "egres": "egress", "egess": "egress"}

_RECOVERY_WORDS = re.compile(r"\b(?:fail(?:s|ed|ing)?\s+(?:\w+\s+)?over|failover|restor\w*|recover\w*|dr|"
                             r"disaster|backups?|replica\w*)\b")

_JOIN_FIXES: tuple[tuple[str | tuple[str, ...], re.Pattern[str], Any], ...] = (
    (tuple(_BARE_CONTRACTIONS), re.compile(r"\b(" + "|".join(_BARE_CONTRACTIONS) + r")\b"),
     lambda m: _BARE_CONTRACTIONS[m.group(1)]),
    # the shared responsibility model said short ("where does awareness training sit in the aws *shared model*") or by
    # Google's name for it ("shared fate", the model with the provider's help added)
    ("shared", re.compile(r"\bshared(?:\s+(?:security\s+)?model|\W{0,3}fate(?:\W{0,3}model)?)\b"),
     "shared responsibility model"),
    (tuple(_NEEDED_WORD_TYPOS), re.compile(r"\b(" + "|".join(_NEEDED_WORD_TYPOS) + r")\b"),
     lambda m: _NEEDED_WORD_TYPOS[m.group(1)]),
    (tuple(_POINTER_TYPOS), re.compile(r"\b(" + "|".join(_POINTER_TYPOS) + r")\b"), lambda m: _POINTER_TYPOS[m.group(1)]),
    # a pronoun between a verb and its particle: "set *it* up" reads as "set up it", "fail *it* over" as "fail over it"
    ((" it ", " them ", " that ", " this ", " those ", " these "),
     re.compile(rf"\b({_PARTICLE_VERBS})\s+(it|them|that|this|those|these)\s+(up|on|off|down|over)\b"), r"\1 \3 \2"),
    # "we opted *our beanstalk envs* out of managed updates": opted out of them
    ("opt", re.compile(r"\b(opt|opts|opted|opting)\s+((?:[a-z0-9]+\s+){1,4}?)out\s+of\b"), r"\1 out of \2"),
    # "keeping it patched and *on a supported engine*": a version still supported is a newer one, not the provider's
    # (extended) support itself
    ("supported", re.compile(r"\b(on|to|onto)\s+a\s+supported\s+(engine|version|runtime)\b"), r"\1 a newer \2"),
    ("prem", re.compile(r"\bon[\s-]+prem(ise|ises)?\b"), "onprem"),
    # "self-hosted", "we self host it": one word, so its "host" is not the host a host OS runs on
    ("self", re.compile(r"\bself[\s-]+host(?:ed|ing|s)?\b"), "selfhosted"),
    # a slash set off by spaces between two verbs in -s joins alternatives ("who renews */* rolls it"): "or", so the
    # second verb is not read as the first one's object
    (" / ", re.compile(r"(?<=[a-z]s)\s+/\s+(?=[a-z]+s\b)"), " or "),
    # "tls for *.contoso.com": a wildcard domain
    ("*.", re.compile(r"\*\.[a-z0-9-]+(?:\.[a-z0-9-]+)+"), "wildcard domain"),
    # "fw rules", "the fw policy": a firewall's (not firmware's) rules
    ("fw ", re.compile(r"\bfw\s+(rule|rules|policy|policies|config|configuration|logs)\b"), r"firewall \1"),
    # an AWS Region code ("*us-east-1* is having issues"; Azure writes eastus, Google us-central1): an AWS Region
    ("-", re.compile(r"\b(?:us|eu|ap|sa|ca|me|af|il|mx)-(?:gov-)?(?:east|west|north|south|central|northeast|northwest|"
                     r"southeast|southwest)-\d\b"), "aws region"),
    # "us-east-1 *is having issues*": a Region in trouble is a Region outage (what we then do about it - fail over,
    # restore - is asked in its own words)
    ("aws region", re.compile(r"\baws region\s+(?:is\s+|was\s+|seems\s+(?:to\s+be\s+)?)?(?:down|having\s+(?:issues|problems|"
                              r"trouble)|degraded|impaired|acting\s+up)\b"),
     lambda m: m.group(0) if _RECOVERY_WORDS.search(m.string) else "region outage " + m.group(0)),
    # a pasted label at the start ("*ALERT:* volumetric flood on our lb - does google soak that up?") says what kind of
    # message follows, not what is asked
    (("alert", "alarm", "ticket", "incident", "pagerduty", "sev", "fyi"),
     re.compile(r"^\s*((?:@\w+|<![a-z]+>)\s+)?(?:\[?\s*(?:alert|alarm|ticket|incident|pagerduty|fyi|sev\s*[0-4])\s*\]?\s*:\s*)+"),
     r"\1"),
    # "for aws managed services *like s3 and dynamo*, who owns backups": examples of the kind asked about, not the
    # services asked about
    ("services", re.compile(r"\b((?:managed|cloud|paas|saas)\s+services),?\s+(?:like|such\s+as|e\.?g\.?,?|for\s+example|"
                            r"including)\s+" + _NAME + r"(?:\s*,\s*" + _NAME + r")*(?:,?\s+(?:and|or)\s+|\s*/\s*)" + _NAME), r"\1"),
    # "abstracted aws services *(s3, dynamodb, sqs)*: who runs the os": examples in parentheses after the kind asked about
    ("services", re.compile(r"\b(services)\s*\(\s*" + _NAME + r"(?:\s*,\s*" + _NAME + r")+(?:,?\s+(?:and|or)\s+" + _NAME
                            + r")?\s*(?:,?\s*etc\.?)?\s*\)"), r"\1"),
    # "maintenance *on sunday 2am*", "maintenance at night", "maintenance (only) sunday 2am": when maintenance runs is its
    # window
    ("mainten", re.compile(r"\bmaintenance\s+(?=(?:only\s+)?(?:(?:on|at|every|during)\s+)?(?:mondays?|tuesdays?|"
                           r"wednesdays?|thursdays?|fridays?|saturdays?|sundays?|weekends?|nights?|\d{1,2}\s*(?:am|pm))\b)"),
     "maintenance window "),
    # ... and "*sunday* maintenance", "*nightly* maintenance": the day before it says the same
    ("mainten", re.compile(r"\b((?:mon|tues|wednes|thurs|fri|satur|sun)day|weekend|nightly|night)\s+maintenance\b(?!\s+window)"),
     r"\1 maintenance window"),
    # "keeping them *up to date*": keeping them patched
    (("to date", "to-date"), re.compile(r"\bup[\s-]+to[\s-]+date\b"), "patched"),
    ("prem", re.compile(r"\bon[\s-]+premise[s]?\b"), "onprem"),
    ("mail", re.compile(r"\be[\s-]?mail\b"), "email"),
    ("virus", re.compile(r"\banti[\s-]+virus\b"), "antivirus"),
    ("cent", re.compile(r"\bdata[\s-]+cent(er|re)s?\b"), "datacenter"),
    ("factor", re.compile(r"\bmulti[\s-]+factor\b"), "multifactor"),
    ("factor", re.compile(r"\btwo[\s-]+factor\b"), "2fa"),
    ("test", re.compile(r"\bpen[\s-]+test(s|ing)?\b"), "pentest"),
    ("visor", re.compile(r"\bhyper[\s-]+visor"), "hypervisor"),
    ("up", re.compile(r"\bback[\s-]+ups?\b"), "backup"),
    ("provider", re.compile(r"\bidentity[\s-]+providers?\b"), "idp"),
    ("up", re.compile(r"\b(backs|backing|backed)[\s-]+up\b"), "backup"),
    # one spelling for words people abbreviate: questions and keywords go through the same table
    ("2", re.compile(r"\b(2fa|2sv|2[\s-]*step[\s-]+verification)\b"), "mfa"),
    ("step", re.compile(r"\btwo[\s-]+step[\s-]+verification\b"), "mfa"),
    ("ssl", re.compile(r"\bssl\b"), "tls"),
    ("cmk", re.compile(r"\bcmks?\b"), "customer managed key"),
    # "auto-upgrade on (*no maintenance exclusions*)": nothing holds the upgrades back, so no exclusion is asked about
    ("exclusion", re.compile(r"\b(?:no|without|zero|not\s+any)\s+(?:maintenance\s+)?exclusions?\b"), ""),
    # "without cmek", "never set a cmek": the provider's default keys, not a key of the customer's
    (("cmek", "cmk", "byok", "managed key"),
     re.compile(r"\b(?:without|no|never\s+(?:set|setup|used|enabled|configured|turned\s+on)|not\s+using|don['’]?t\s+use)"
                r"\s+(?:a\s+|an\s+|any\s+|our\s+own\s+)?(?:cmeks?|cmks?|byok|customer[\s-]+managed[\s-]+keys?)\b"),
     "default keys"),
    ("cmek", re.compile(r"\bcmeks?\b"), "customer managed encryption key"),
    ("byok", re.compile(r"\bbyok\b"), "bring your own key"),
    ("pitr", re.compile(r"\bpitr\b"), "point in time recovery"),
    ("lit", re.compile(r"\blit[\s-]+holds?\b"), "litigation hold"),
    # DNSSEC's two keys by their short names: "the *key-signing key* of our *zone*" is not the zone-signing key
    ("signing", re.compile(r"\bkey[\s-]+signing[\s-]+keys?\b"), "ksk"),
    ("signing", re.compile(r"\bzone[\s-]+signing[\s-]+keys?\b"), "zsk"),
    ("k8s", re.compile(r"\bk8s\b"), "kubernetes"),
    ("end", re.compile(r"\bend[\s-]+of[\s-]+(life|support|sale)\b"), "eol"),
    ("support", re.compile(r"\b(out[\s-]+of|no[\s-]+longer)[\s-]+support(ed)?\b"), "eol"),
    ("out", re.compile(r"\bout[\s-]+of[\s-]+(disk[\s-]+space|disk|space|storage[\s-]+space)\b"), "out of storage"),
    # plain-language failure: "a dead host", "the host died" is a failed one
    (("dead", "died", "dying", "dies"), re.compile(r"\b(?:dead(?![\s-]+letter)|died|dying|dies)\b"), "failed"),
    # a distribution's updates are the OS's ("are the *ubuntu security updates* applied for us")
    (("ubuntu", "debian", "rhel", "centos", "suse", "linux"),
     re.compile(r"\b(ubuntu|debian|rhel|centos|suse|linux)\s+((?:security\s+)?(?:updates|patches|fixes))\b"), r"\1 os \2"),
    # a certificate a third-party authority issued ("imported cert, *issued by digicert*") is not the provider's
    ("issued", re.compile(r"\bissued\s+by\s+(?:digicert|sectigo|comodo|godaddy|globalsign|entrust|lets\s+encrypt|"
                          r"let\s*'?s\s+encrypt|a\s+third[\s-]+party(?:\s+ca)?|an?\s+external\s+ca|our\s+(?:own\s+|internal\s+)?ca)\b"),
     "from a third party ca"),
    # "is keeping it patched *100%* aws?", "a hundred percent ours": wholly
    (("100", "hundred"), re.compile(r"\b(?:100\s*%|100\s+percent|(?:a|one)\s+hundred\s+percent)(?=\s+(?:on\s+)?(?:aws|amazon|"
                                   r"azure|microsoft|msft|ms|google|gcp|ours|our|us|theirs|their|the\s+provider|provider|"
                                   r"vendor|covered|handled|managed)\b)"), " fully"),
    # "who can *log in* to the db", "which users *sign on*": who has access (not logs, not certificate signing)
    (("log", "sign"), re.compile(r"\b(can|cannot|could|who|users?|people|admins?|staff|employees|we|they)\s+"
                                 r"(?:log|logs|logged|sign|signs|signed)[\s-]+(?:in|on)(?:\s+to)?\b"), r"\1 access"),
    ("db", re.compile(r"\bdbs?\b"), "database"),
    ("sg", re.compile(r"\bnsgs?\b"), "network security group"),
    ("sg", re.compile(r"\bsgs?\b"), "security group"),
    ("sec ", re.compile(r"\bsec\s+(groups?)\b"), r"security \1"),  # "sec groups on our ec2 boxes"
    # certifications, not TLS certificates: "*industry certs* (iso, soc etc)", "soc 2 cert", "certs like iso 27001"
    ("cert", re.compile(r"\b(?:(industry|compliance|iso|soc\s*[12]?|pci|hipaa|fedramp|audit)\s+certs?\b|certs?(?=\s*\(?\s*"
                        r"(?:like\s+|such\s+as\s+|e\.?g\.?\s+)?(?:iso|soc|pci|fedramp|hipaa)\b))"),
     lambda m: (m.group(1) + " " if m.group(1) else "") + "certifications"),
    ("cert", re.compile(r"\bcerts?\b"), "certificate"),
    ("cred", re.compile(r"\bcreds\b"), "credentials"),
    ("perm", re.compile(r"\bperms\b"), "permissions"),
    ("lb", re.compile(r"\blbs?\b"), "load balancer"),
    # a language package manager's packages are the app's dependencies, not the OS's packages
    (("package", "module", "dependenc", "librar", "libs", "deps"),
     re.compile(r"\b(npm|pip|pypi|maven|gradle|nuget|gem|yarn|composer|cargo|go)[\s-]+"
                    r"(packages?|modules?|dependencies|dependency|libraries|library|libs|deps)\b"), "app dependencies"),
    ("svc", re.compile(r"\bsvcs?\b"), "service"),
    ("msg", re.compile(r"\bmsgs?\b"), "message"),
    ("snaps", re.compile(r"\bsnaps\b"), "snapshots"),  # "redshift manual *snaps* piling up"
    ("notready", re.compile(r"\bnotready\b"), "not ready"),  # Kubernetes' node condition "NotReady"
    # "securing our gke clusters *end to end*": as a whole (not end-to-end encryption or testing)
    ("end", re.compile(r"\bend[\s-]+to[\s-]+end\b(?![\s-]+(?:encrypt|tls|ssl|test|latency))"), "overall"),
    # "making our aurora cluster *highly available*": its high availability
    ("highly", re.compile(r"\bhighly[\s-]+available\b"), "high availability"),
    ("vuln", re.compile(r"\bvulns?\b"), "vulnerability"),  # "api gateway *vuln* analysis", "vuln scanning"
    ("list", re.compile(r"\b(deny|allow|block|white|black)(lists?)\b"), r"\1 \2"),  # "ip *denylists*" are deny lists
    ("an eye on", re.compile(r"\b(?:keeps?|keeping|kept)\s+an\s+eye\s+on\b"), "monitors"),  # "who keeps an eye on it"
    # "responsable", "resposible", "reponsibility"; "responsibilty", "responsiblity"
    (("respo", "repons", "respns"), re.compile(r"\b(?:responsab|resposib|reponsib|respnsib)(le|ility|ilities)\b"), r"responsib\1"),
    ("respo", re.compile(r"\bresponsib(?:ilty|lity)\b"), "responsibility"),
    ("whos", re.compile(r"\bwhos\b"), "who is"),  # "whos responsible", typed without the apostrophe
    ("w/o", re.compile(r"\bw/o\b"), "without "),  # "a server *w/o* ha"
    ("w/", re.compile(r"\bw/(?=\s|$)|\bw/(?=[a-z])"), "with "),  # "who deals *w/* that", "w/sse-kms"
    ("box", re.compile(r"\bout[\s-]+of[\s-]+the[\s-]+box\b"), "by default"),  # "is pitr on out of the box"
    # "... google's problem or ours*, broadly*?": a closing word that only says how broad the answer may be
    (("broadly", "generally", "in general"), re.compile(r",\s*(?:broadly|generally|in\s+general)\s*(?=[?.!]*\s*$)"), ""),
    # "does microsoft encrypt our data *even if we configure nothing*", "*without us setting anything up*": by default
    ("nothing", re.compile(r"\b(?:even\s+)?if\s+(?:we|i|you)\s+(?:configure|set\s+up|setup|do|change|turn\s+on|enable)\s+"
                           r"nothing\b"), "by default"),
    ("anything", re.compile(r"\b(?:even\s+)?without\s+(?:us\s+|me\s+)?(?:configuring|setting\s+up|changing|"
                            r"enabling|turning\s+on)\s+anything\b"), "by default"),
    # "does aws patch it *in the maintenance window*": when it happens, not the window asked about
    ("window", re.compile(r"\b(?:in|during|within)\s+(?:the|our|a|its)\s+(?:weekly\s+)?maintenance\s+windows?\b"),
     "during maintenance"),
    # "a laptop stolen from a *sales rep*": a colleague, not the sales (pricing) topic
    ("sales", re.compile(r"\bsales\s+(?:reps?|team|teams|person|people|guy|engineers?|managers?|folks)\b"), "colleague"),
    # "(not asking about the control plane)": an aside that sets a topic aside is no topic of the question
    ("not", re.compile(r"\(\s*(?:i['’]?m\s+|we['’]?re\s+)?not\s+(?:(?:asking|talking|counting|including|"
                       r"worried)\s+(?:about\s+)?)?[^()]*\)"), " "),  # "(*not the control plane*)" too
    # "who *gets those done*": does them
    ("done", re.compile(r"\b(?:get|gets|getting|got)\s+((?:[a-z0-9]+\s+){0,3}?)done\b"), r"does \1"),
    # "who can *get the files back*": restores them ("get back to me" has no object and stays)
    ("back", re.compile(r"\b(?:get|gets|getting|got)\s+((?:[a-z0-9]+\s+){1,3}?)back\b"), r"restore \1"),
    ("acked", re.compile(r"\bun[\s-]?acked\b"), "unacknowledged"),
    # "our regulatory *reqs*": requirements (not http requests)
    ("req", re.compile(r"\b(regulatory|compliance|security|audit|legal|privacy|residency|business|retention)\s+reqs?\b"),
     r"\1 requirements"),
    # "the laws and *regs* that apply to us": regulations
    ("regs", re.compile(r"\b(laws?|rules|legal)\s+(?:and|&)\s+regs\b"), r"\1 and regulations"),
    ("regs", re.compile(r"\bregs\s+(?:and|&)\s+(laws?|rules|standards)\b"), r"regulations and \1"),
    ("infra", re.compile(r"\binfra\b"), "infrastructure"),
    ("auth", re.compile(r"\bauthn\b"), "authentication"),
    ("auth", re.compile(r"\bauthz\b"), "authorization"),
    ("distro", re.compile(r"\bdistros?\b"), "distribution"),
    # "7 yrs of backups", "a year of api logs", "keeping them for years": long-term retention
    (("year", "yr"), re.compile(r"\b(\d+\s*(?:years?|yrs?)|an? (?:full |whole )?year|one year|for years|several years|"
                                r"multiple years|many years)\b"),
     r"\1 long term retention"),
    # "keeps dropping our logs after 30 days", "deleted after 90 days": how long things are kept
    ("after", re.compile(r"\b(?:drop|dropping|dropped|drops|delete|deletes|deleted|deleting|purge|purges|purged|"
                         r"disappear|disappears|disappeared|gone|vanish|vanishes|expire|expires|expired)\b[^.?!]{0,40}?"
                         r"\bafter\s+\d+\s+(?:days?|weeks?|months?)\b"), r"\g<0> retention"),
    # "resilience to *zone and region outages*", "survive az and region failures": reliability as a whole
    ("region", re.compile(r"\b(?:zones?|azs?|availability\s+zones?)(?:\s+(?:and|or)\s+|\s*/\s*)regions?\s+(?:outages?|"
                          r"failures?|goes\s+down|go\s+down|down)\b|\b(?:zones?|azs?)(?:\s+(?:and|or)\s+|\s*/\s*)"
                          r"region(?:al)?\s+(?:outages?|failures?)\b"), r"\g<0> reliability"),
    (("zone", "azs"), _SPREAD, r"across \1"),
    ("region", _SPREAD_REGIONS, r"across \1"),
    # "we didn't buy any ddos plan", "we don't have shield advanced": the variant without it ("no ddos plan")
    (("bought", "buy", "purchase", "have", "has", "paid for", "pay for", "subscribe"),
     re.compile(r"\b(didn['’]?t|did not|haven['’]?t|have not|don['’]?t|do not|never)\s+(bought|buy|purchased|"
                    r"purchase|have|has|paid for|pay for|subscribed to|subscribe to)\s+(?:(?:a|an|any|the)\s+)?"),
     "no "),
    # "we *pay for* shield advanced now", "we bought the premium tier": we have it (a fact about the set-up, not a
    # question about price)
    (("pay", "paid", "bought", "purchased"),
     re.compile(r"\bwe(?:['’]ve|['’]re|\s+are|\s+have)?\s+(?:now\s+|already\s+|also\s+|just\s+|recently\s+|finally\s+)?(?:pay\s+for|paying\s+for|"
                r"paid\s+for|bought|purchased)\b"), "we have"),
    # scaling as people say it: "spin up more instances", "adds capacity", "when traffic spikes"
    ("up", re.compile(r"\b(spin|spins|spinning|spun)[\s-]+up\b"), "scale out"),
    ("capacity", re.compile(r"\b(add|adds|adding|added)\s+(more\s+)?capacity\b"), "scales capacity"),
    (("traffic", "load", "request", "demand", "usage"),
     re.compile(r"\b(traffic|load|requests?|demand|usage)\s+(spikes?|spiking|grows?|growing|surges?|surging|"
                    r"increases?|increasing|bursts?|jumps?|peaks?)\b"), r"\g<0> scaling"),
    # "a year of logs ... does azure *keep the activity log that long*": a duration said before, kept long term
    ("long", re.compile(r"\b(keep|keeps|kept|keeping|retain|retains|retained|hold|holds|store|stores|stored)\s+"
                        r"((?:[a-z0-9]+\s+){0,4}?)(?:that|this|so)\s+long\b"), r"\1 \2long term retention"),
    # "how long logs stay / backups are kept" asks the retention
    ("how long", re.compile(r"\bhow long\b(?=(?:\s+\S+){0,6}?\s+(?:kept|keep|keeps|stay|stays|retain|retained|stored|"
                            r"held|hold|holds|around)\b)"), "how long retention"),
    # "mysql 5.7 -> 8.0", "postgres 13 to 16": a move between versions is an upgrade, a major one when the
    # leading number changes
    (">", _VERSION_MOVE, _version_move),
    ("→", _VERSION_MOVE, _version_move),
    (" to ", _VERSION_MOVE, _version_move),
    (" onto ", _VERSION_MOVE, _version_move),
    ("on ", _VERSION_ON_TO, _version_on_to),
    (" to ", _ENGINE_VERSION_TO, _engine_version_to),
    ("sa", re.compile(r"\bsa[\s-]+((?:json[\s-]+)?keys?)\b"), r"service account \1"),  # "sa (json) key"
    # "who regenerates the storage account keys", "key1/key2": a key regenerated is a key rotated
    ("regenerat", re.compile(r"\bregenerat(?:e|es|ed|ing|ion)\b"), lambda m: "rotate" if "key" in m.string else m.group(0)),
    ("key", re.compile(r"\bkey\s?[12]\b"), "key"),
    # "sse-c": one word, so that its "c" (a stop word) does not leave only "sse" ("sse-c on s3" is not "sse-s3")
    ("sse", re.compile(r"\bsse[\s-]c\b"), "ssec"),
    # "one of our managed ad *dcs* died": a DC of a directory is a domain controller (not a data centre, "in our dc")
    # ... and a physical one, or its security or power, is a data centre ("*physical dc* security in the cloud")
    ("dc", re.compile(r"\bdc(s?)\b"),
     lambda m: f"domain controller{m.group(1)}" if _DIRECTORY.search(m.string) else (
         f"datacenter{m.group(1)}" if _PHYSICAL_DC.search(m.string) else m.group(0))),
    # "is *containing that* on us", "who contains the breach": containment, not containers
    ("contain", re.compile(r"\bcontain(?:s|ing)?\s+(?=(?:that|it|this|them|the\s+(?:breach|incident|damage|attack|compromise|"
                           r"blast\s+radius))\b)"), "containment "),
    # "the guest os *underneath our app*": where the thing asked about sits, not a topic of its own
    # (the words of a layer keep "underneath": "the platform layer underneath our app" is the provider's layer)
    ("neath", re.compile(r"\b(layers?\s+|platform\s+|infrastructure\s+)?(underneath|beneath)\s+(?:our|the|your|my)\s+"
                         r"(?:apps?|applications?|code|workloads?)\b"),
     lambda m: f"{m.group(1)}{m.group(2)}" if m.group(1) else ""),
    # "does it take backups *on its own*": the service does it automatically
    # (not "on its own *infrastructure*": the provider's own layer)
    ("own", re.compile(r"\bon\s+its\s+own\b(?!\s+(?:%s|data\s*cent(?:er|re)s?)\b)" % "|".join(sorted(OWN_LAYER_WORDS))),
     "automatically"),
    # "controlling and logging *google's own admin access* to our resources": the provider's staff's access
    ("own", re.compile(r"\b(google|amazon|aws|microsoft|azure|msft)(?:'|\u2019)?s?\s+own\s+(?:admin|administrative|"
                       r"staff|support|employee|employees|engineers?|personnel|operator)\s+access\b"),
     r"\1 provider staff access"),
    # "who logs *google admin access* in gcp": Google's administrators' access to cloud resources (Access Transparency),
    # not the Workspace admin console's
    ("google", re.compile(r"\bgoogle(?:'|\u2019)?s?\s+(?:admin|administrative)\s+access\b"),
     lambda m: m.group(0) if _WORKSPACE.search(m.string) else "google provider staff access"),
    # "our own key" is not "a key": "own" and "our" are stop words, so say who brought it in one word
    ("own", re.compile(r"\bbring(?:s|ing)?[\s-]+(your|our|my)[\s-]+own\b"), "byo"),
    ("own", re.compile(r"\b(our|my|your|their)[\s-]+own\b"), "byo"),
    # "our own *tls* cert": the own certificate (variant names say "own certificate"), still about tls
    ("byo", re.compile(r"\bbyo\s+tls\s+(certificates?)\b"), r"byo \1 tls"),
    # "300 ms" is a time, not Microsoft ("does ms back up our vms")
    ("ms", re.compile(r"\b(\d+)\s*ms\b"), r"\1 milliseconds"),
    # "customer" is a stop word, but "customer managed key" is not "aws managed key": keep who manages it
    ("managed", re.compile(r"\bcustomer[\s-]+managed\b"), "customermanaged"),
    # (not "google manages *those or we do*?": a side asked, the thing managed named before)
    ("manage", re.compile(r"\b(aws|amazon|google|microsoft|azure|ms|msft)[\s-]+(managed|manages\b(?!\s+(?:those|them|it|that|this|"
                          r"these)\s+or\b))\b"),
     r"\1 providermanaged"),
    ("managed", re.compile(r"\b(service|platform)-managed\b"), "providermanaged"),
)

# Words that carry no topic: question scaffolding, ownership talk, fillers.
STOP_WORDS = frozenset("""
a an the of on in at to for from by with into onto about over under and or nor but vs versus
who whom whose which what when where why how is are was were be been being am do does did doing done
own owns owned owner owners ownership responsible responsibility responsibilities accountable
job jobs task tasks duty duties role part side take takes care handle handles handled handling
deal deals in charge charge should shall must need needs needed can could would will may might
i me my mine we us our ours you your yours they them their theirs he she it its this that these those
there here one ones some any all each every our team company org organisation organization
cloud provider providers customer customers vendor vendors csp csps consumer tenant tenants client
question quick hey hi hello please thanks thank srm know tell just really actually
s t re ve ll d m
""".split())


# Slack markup around the words: emoji codes (":thinking_face:"), special mentions ("<!here>"), and links or channel
# mentions whose label is kept ("<https://...|the runbook>", "<#C123|ops>")
_EMOJI = re.compile(r"(?<![\w:]):[a-z0-9_+'-]+:(?![\w:])")
_SLACK_MARKUP = re.compile(r"<[!@#]?[^<>|]*(?:\|([^<>]*))?>")


def normalize(text: str) -> str:
    """Lowercase words with Slack markup, punctuation and the fixes below applied (spelled-out short forms, joined
    names). Pure: the forms the data's words take are kept between starts (:func:`remembered_normal_forms`)."""
    out = _KNOWN.get(text)
    if out is None:
        out = _normalized(text)
        if _learned is not None:
            _learned[text] = out
    return out


_KNOWN: dict[str, str] = {}  # normal forms read back from the cache (this file's code unchanged)
_learned: dict[str, str] | None = None  # forms computed while a remembered_normal_forms block runs


_PLUS = re.compile(r"(?<=\bsecurity)\s*\+\s*(?=compliance\b)|(?<=\bcompliance)\s*\+\s*(?=security\b)")


@lru_cache(maxsize=32768)  # the catalogue repeats its keywords, and one question is read several ways
def _normalized(text: str) -> str:
    text = text.lower()
    if ":" in text:
        text = _EMOJI.sub(" ", text)
    if "<" in text:
        text = _SLACK_MARKUP.sub(lambda m: f" {m.group(1) or ''} ", text)
    text = text.replace("&", " and ")
    if "+" in text:  # "security + compliance": AWS's headline pair (not every plus: "dedicated hosts + maintenance
        # configuration" names two things of one question)
        text = _PLUS.sub(" and ", text)
    for trigger, pattern, repl in _FIXES:
        if trigger in text if trigger.__class__ is str else trigger.search(text):
            text = pattern.sub(repl, text)
    return " ".join(t for t in _SPLIT.split(text) if t)


# the fixes with their several literals as one search each (a C-level scan instead of a generator per text)
_FIXES: tuple[tuple[Any, re.Pattern[str], Any], ...] = tuple(
    (t if isinstance(t, str) else re.compile("|".join(map(re.escape, t))), p, r) for t, p, r in _JOIN_FIXES)


def forget_normal_forms() -> None:
    """Drop every normal form held in memory (benchmarks measuring a cold start)."""
    _KNOWN.clear()
    _normalized.cache_clear()


@contextmanager
def remembered_normal_forms(where: Path) -> Iterator[None]:
    """Normalizing the data's thousands of words is a third of building a resolver, and the forms depend only on
    this file's code: within the block, forms kept in ``where`` (by this file's hash) are read back, and forms new
    to it are added to it at the end (like .pyc files). Only texts normalized while the block runs are kept: the
    data's words while a resolver is built (a question another thread asks meanwhile would be kept too - harmless, a
    normal form is a pure function of the text)."""
    global _learned
    path = where / f"normal-{hashlib.sha1(Path(__file__).read_bytes()).hexdigest()}.json"
    if not _KNOWN:
        try:
            _KNOWN.update(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            pass
    outer, _learned = _learned, {}
    try:
        yield
    finally:
        new, _learned = _learned, outer
    if new:
        _KNOWN.update(new)
        write_cache(path, _KNOWN)


def raw_tokens(text: str) -> list[str]:
    return normalize(text).split()


_WHO = re.compile(r"\bwho(se|m)?\b")
# a new question after a comma ("who installs the engine patches*, do we* need a maintenance job?") ends one too
_CLAUSE_END = re.compile(r"[?!;(]|\s[-\u2013\u2014]+\s|[.:](\s|$)|,\s+(?=(do|does|did|is|are|should|can|will)\s+\w+\s)")


_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n+")
# what happened, told before a dash and the who that asks ("fabric region *goes down* for good *- who* rebuilds the
# capacity ...", "we just started *paying* for shield advanced *- does* that cover ..."): two sentences
_EVENT_THEN_WHO = re.compile(r"^(.*\b(?:down|died|dies|failed|fails|crashed|crashes|broke|broken|expired|expires|deleted|"
                             r"leaked|compromised|stolen|breached|gone|outage|paying|paid|bought|purchased|subscribed|turned\s+on|switched\s+on|"
                             r"enabled)\b[^-\u2013\u2014]{0,50}?)"
                             r"\s[-\u2013\u2014]+\s+((?:(?:overall|so|and|now|then)\s+)?(?:who|whose|does|do|did|is|are|was|were|will|should|"
                             r"can)\b.*)$",
                             re.IGNORECASE | re.DOTALL)


def sentences(text: str) -> list[str]:
    """The message's sentences (empty ones left out)."""
    parts: list[str] = []
    for p in _SENTENCE_END.split(text):
        m = _EVENT_THEN_WHO.match(p)
        parts.extend(m.groups() if m else [p])
    return [p for p in parts if p.strip() and not _CHAT_ONLY.match(p)]


# a sentence of thanks or chat only ("... ourselves? *thanks!*")
_CHAT_ONLY = re.compile(r"\s*(?:(?:many\s+|thanks\s+)?thanks(?:\s+(?:in advance|a lot|all|team|folks))?|thank you|thx|ty|tia|cheers|"
                        r"pls|please|lol|much appreciated|appreciated|:\w+:)\W*$", re.IGNORECASE)


# clause boundaries: sentence ends, colons, semicolons, commas, a dash between spaces, and before "but" or a
# comparison ("... service updates *like on azure cache for redis*"); sentence ends among them
_CLAUSE_BREAK = re.compile(r"([.;!?]+(?:\s|$)|[:\[\],.;!?]+|\s[-\u2013\u2014]+\s|(?=\bbut\s)|"
                           r"(?=\b(?:like|unlike)\s+(?:on|in|with|for|the|our|we|how|aws|amazon|azure|microsoft|gcp|google)\s))")
_SENTENCE_BREAK = re.compile(r"[.;!?]+\s+")
_BRACKETED = re.compile(r"\(([^()]*)\)")


def clauses(text: str) -> list[tuple[range, bool, int]]:
    """The clauses of the message: the positions of each (in ``raw_tokens(text)``), whether it was written in
    brackets (an aside), and the number of its sentence; empty when the clauses' words do not add up to the message's
    (a fix joined words across a boundary)."""
    out: list[tuple[range, bool, int]] = []
    at = sentence = 0
    pos = 0
    for m in [*_BRACKETED.finditer(text), None]:
        end = m.start() if m is not None else len(text)
        for aside, part in ((False, text[pos:end]), (True, m.group(1) if m is not None else "")):
            pieces = _CLAUSE_BREAK.split(part)
            for k in range(0, len(pieces), 2):
                n = len(raw_tokens(pieces[k]))
                if n:
                    out.append((range(at, at + n), aside, sentence))
                    at += n
                if k + 1 < len(pieces) and _SENTENCE_BREAK.fullmatch(pieces[k + 1] or "") and not aside:
                    sentence += 1
        pos = m.end() if m is not None else len(text)
    return out if at == len(raw_tokens(text)) else []


def sentence_tokens(text: str) -> list[list[str]]:
    """The words of each sentence of the message."""
    return [raw_tokens(p) for p in sentences(text)]


def several_sentences(text: str) -> bool:
    """The message has sentences besides the one that asks ("we had an incident last week. who sets up rbac")."""
    return len(sentences(text)) > 1


def _sentence_that_asks(parts: list[str]) -> str:
    """The sentence with a who-word; without one, the last that asks ("... max size of an object in gcs?"), else the
    last."""
    asks = [p for p in parts if not _PURPOSE_SENTENCE.match(p.lower())] or parts  # not "want to know who gets paged"
    asks = [p for p in asks if not _ONLY_POINTS_BACK.match(p.lower())] or asks  # not "... or ours? *which is it?*"
    asks = [p for p in asks if not _ONLY_A_GUESS.match(p.lower())] or asks  # not "... limit per region again? *1000?*"
    asking = next((p for p in asks if _WHO.search(p.lower())), None)
    if asking is None:  # the last question that names a side ("... google's job or ours? *high level?*")
        # (the last sentence asks too when it opens like a question and the "?" was left off: "... keeps the tunnels up
        # how? *is vpn redundancy aws's problem or ours*")
        questions = [p for p in asks if p.rstrip().endswith("?") or (p is asks[-1] and _OPENS_A_QUESTION.match(p.lower()))]
        asking = next((p for p in reversed(questions) if _NAMES_A_SIDE.search(p.lower())),
                      questions[-1] if questions else asks[-1])
    return asking


_OPENS_A_QUESTION = re.compile(r"\s*(?:is|are|do|does|did|should|can|could|would|will|who|whose|which|what)\b")


# a side of the split named ("... is that *microsoft's* or *ours*?")
_NAMES_A_SIDE = re.compile(r"\b(?:us|ours|we|our|provider|providers|vendor|csp|aws|amazon|google|gcp|microsoft|msft|azure|"
                           r"both)\b")


# a sentence that only points back at the one before ("whether compliance is the provider's problem or ours. *which is
# it?*")
_ONLY_POINTS_BACK = re.compile(r"\s*(?:so\s+|and\s+|ok\s+|well\s+)?(?:which is it|which one is it|which one|which is right|"
                               r"who is right|who s right|who's right|what s the answer|what's the answer|thoughts|any idea"
                               r"|anyone)\W*$")


# a sentence that only guesses the answer to the one before ("whats the max lambda timeout again? *15 min?*")
_ONLY_A_GUESS = re.compile(r"\s*(?:like\s+|maybe\s+|about\s+|~)?[\d.,]+\s*(?:days?|d|mins?|minutes?|hours?|h|hrs?|gb|mb|tb|ms|s|%|"
                           r"years?|y|yrs?)?\s*(?:right|rite|or so)?\W*$")


# a sentence saying why the asker asks: "monitoring our vms - is that google or us? *want to know who gets paged*"
_PURPOSE_SENTENCE = re.compile(r"\s*(?:i |we )?(?:want|wanna|need|trying|just want|would like) to (?:know|figure out|"
                               r"understand|find out)\b")


_TRAILING_ASIDE = re.compile(r"\s*\([^()]*\)\W*$")
_TRAILING_PURPOSE = re.compile(r"\s[-\u2013\u2014]+\s+(?:need|needed|needs|for|want|wanted|asking|so|because|cause|since|"
                               r"trying|it s for|its for|it's for)\b[^-\u2013\u2014]*$", re.IGNORECASE)

# Chat around the question, read past for the whole message before anything else (the trailing purpose above is
# only left out of the words that ask). A preface of chat before a colon or a dash ("*sorry if this was asked
# before:* ...", "*following up on yesterday's thread -* ...", "*quick one for the sec team:* ...", "*bumping this* -";
# not "bumping our eks cluster to the next version - ...", a version bump)
_LEADING_CHAT = re.compile(
    r"^\s*(?:following[- ]up|follow[- ]up|circling back|bumping(?=\s+(?:this|my|again|up|it|the\s+(?:thread|question|q))\b)|"
    r"sorry\s+(?:if|for|to)|quick\s+(?:one|q|question)|qq|"
    r"(?:dumb|silly|noob|newbie|random)\s+(?:q|question)|(?:hey|hi|hello)\s+(?:all|team|folks|everyone|y'?all))"
    r"\b[^-\u2013\u2014:?]{0,60}?(?:\s[-\u2013\u2014]+\s+|:\s+)", re.IGNORECASE)
# ... or after a closing dash ("... - *want to get the runbook right*", "... - *need this for the audit*")
_CLOSING_PURPOSE_DASH = re.compile(
    r"\s[-\u2013\u2014]+\s+(?:(?:i|we)\s+)?(?:want(?:ed)?\s+to\s+(?:get|know|make sure|understand|write|update|fill)|"
    r"need\s+(?:this|it|to know)|asking\s+(?:for|because|since)|trying\s+to\s+(?:get|figure|understand|fill|write|settle|sort)|"
    r"it'?s\s+for|its\s+for|for\s+the\s+(?:audit|runbook|wiki|doc|docs|review))\b[^-\u2013\u2014?]*$", re.IGNORECASE)
# which environment, in a closing aside ("... *(prod account)*", "*(staging project)*")
_CLOSING_ENVIRONMENT = re.compile(
    r"\s*\(\s*(?:our\s+|the\s+|in\s+)?(?:prod|production|dev|development|staging|stage|test|qa|uat|sandbox|non-?prod)"
    r"(?:\s+(?:account|accounts|env|envs|environment|environments|subscription|subscriptions|project|projects|tenant|only))?"
    r"\s*\)\W*$", re.IGNORECASE)
# a greeting or a mention before the message ("*hey @srm* moving email to m365 - ...", "*hi all!* ...")
_GREETING = re.compile(r"^\s*(?:(?:hey|hi|hello|yo|morning)(?:\s+(?:all|team|folks|everyone|there|y'?all))?[\s,!.:]+)?"
                       r"(?:<?@[\w.-]+>?[\s,:!]+)*", re.IGNORECASE)
# a purpose told in a closing aside ("... *(need this for the audit)*", "*(asking for a friend)*")
_CLOSING_PURPOSE = re.compile(
    r"\s*\(\s*(?:(?:we|i)\s+)?(?:need|needed|needs|want|wanted|asking|trying|for\s+(?:the|an|a|our|my)\s+(?:audit|"
    r"auditors?|review|report|runbook|postmortem|post-mortem|doc|docs|wiki|onboarding|ticket|slides?|deck))\b[^()]*\)\W*$",
    re.IGNORECASE)


def without_chat(text: str) -> str:
    """The message without the chat around the question, which asks nothing of its own: a greeting or @mention, a
    preface before a colon or dash, a purpose in a closing aside or after a closing dash, which environment."""
    bare = _CLOSING_PURPOSE.sub("", _LEADING_CHAT.sub("", _GREETING.sub("", text, count=1), count=1), count=1)
    return _CLOSING_ENVIRONMENT.sub("", _CLOSING_PURPOSE_DASH.sub("", bare, count=1), count=1)


# why the asker thinks so, after the question: "... google's job *since they patch cos*?"
_TRAILING_REASON = re.compile(r"\s+(?:since|because|cause|bc)\s+(?:they|it|its|it's|google|aws|amazon|microsoft|azure|"
                              r"the provider|the csp)\b[^?.!]*[?.!]*\s*$", re.IGNORECASE)


# a move said before a dash is context ("*moving email + sharepoint to m365 -* network security for the service itself,
# is that microsoft's?", "*we just migrated to aurora -* who patches the engine")
_LEADING_MOVE = re.compile(r"^\s*(?:(?:we(?:'re| are)?|i(?:'m| am)?)\s+(?:just\s+|recently\s+)?)?(?:moving|migrating|moved|"
                           r"migrated|switching|switched|lifting and shifting)\s+[^-\u2013\u2014?]{3,80}?\s[-\u2013\u2014]\s+",
                           re.IGNORECASE)


_EVENT_OPENERS = frozenset("after since following post".split())


def asking_part(text: str) -> list[str] | None:
    """The words that ask: the asking sentence, up to the end of its who-clause ("whose job - *want to get the runbook
    right*"), without a closing aside ("*(prod account)*"); None when that is the whole question."""
    parts = sentences(text)
    asking = _sentence_that_asks(parts) if len(parts) > 1 else text
    low = asking.lower()
    m = _WHO.search(low)
    if m is not None and low.endswith(" but ", 0, m.start()):
        # "the agent auto-updates I think, *but who* installs the os updates": the who after the but asks
        asking, low = asking[m.start():], low[m.start():]
        m = _WHO.search(low)
    if m is not None and ": " in low[:m.start()] and low.split(None, 1)[0] in _EVENT_OPENERS:
        # "*after last month's regional outage:* resiliency and dr on azure, whose job overall": the event told first
        # is what the question is about, not what it asks
        at = low.rindex(": ", 0, m.start()) + 2
        asking, low = asking[at:], low[at:]
        m = _WHO.search(low)
    cut = _CLAUSE_END.search(low, m.end()) if m else None
    if cut is not None and low[cut.end():].strip(" ?!.)"):
        asking = asking[:cut.start()]
    elif m is None:
        asking = _TRAILING_ASIDE.sub("", asking) or asking
        asking = _TRAILING_PURPOSE.sub("", asking) or asking  # "... - need to know for the audit tomorrow"
        if ": " in asking:  # "quick sanity check for the onboarding doc: security on gcp - google's job or ours?"
            asking = asking.rsplit(": ", 1)[1] or asking
    asking = _TRAILING_REASON.sub("", asking) or asking  # "is patching those google's job *since they patch cos*?"
    asking = _LEADING_MOVE.sub("", asking) or asking  # "*moving email + sharepoint to m365 -* network security, ..."
    words = raw_tokens(asking)
    return words if words and words != raw_tokens(text) else None


def who_clause(text: str) -> list[str] | None:
    """The words up to the end of the sentence that asks who ("who patches the control plane*?* asking for a
    friend"); None when the who-sentence runs to the end of the question."""
    low = text.lower()
    m = _WHO.search(low)
    cut = _CLAUSE_END.search(low, m.end()) if m else None
    if cut is None or not low[cut.end():].strip(" ?!.)"):
        return None
    return raw_tokens(text[:cut.start()])


# words whose final s is not a plural ("*https* lb" is not an "http flood"), and "building", the place (its plural
# stems to it), which is not the verb of "the *builds*" ("security of our cloud builds" is no building security)
_UNSTEMMED = frozenset({"https", "building"})
# plurals too short for the rule below ("confidential *vms*" are confidential vms); "aws", "dns", "kms", "ebs" stay
_SHORT_PLURALS = {"vms": "vm", "dbs": "db", "azs": "az", "sgs": "sg", "ips": "ip", "cas": "ca",
                  "amis": "ami", "apis": "api", "skus": "sku", "gpus": "gpu", "cpus": "cpu"}


@lru_cache(maxsize=8192)
def stem(token: str) -> str:
    if token in _UNSTEMMED:
        return token
    if token in _SHORT_PLURALS:
        return _SHORT_PLURALS[token]
    t = token
    if len(t) > 5 and t.endswith("ing"):
        t = t[:-3]
        if len(t) > 3 and t[-1] == t[-2] and t[-1] not in "ls":
            t = t[:-1]
    elif len(t) > 4 and t.endswith("ied"):
        t = t[:-3] + "y"
    elif len(t) > 4 and t.endswith("ies"):
        t = t[:-3] + "y"
    elif len(t) > 4 and t.endswith("ed") and not t.endswith("eed"):
        t = t[:-2]
        if len(t) > 3 and t[-1] == t[-2] and t[-1] not in "ls":
            t = t[:-1]
    elif len(t) > 4 and t.endswith(("ches", "shes", "sses", "xes")):
        t = t[:-2]
    elif len(t) > 3 and t.endswith("s") and not t.endswith(("ss", "us", "is")):
        t = t[:-1]
    if len(t) > 5 and t.endswith("ell") and len(token) > len(t):  # British double l: labelling/labelled -> label
        t = t[:-1]
    if len(t) > 7 and t.endswith(("ption", "ction")):  # encryption -> encrypt, protection -> protect
        t = t[:-3]
    if len(t) > 4 and t.endswith("e") and not t.endswith("ee"):  # upgrade/upgrading/upgraded -> upgrad
        t = t[:-1]
    return t


def content_tokens(tokens: Iterable[str]) -> list[str]:
    """Stemmed topic tokens: stop words removed."""
    return [stem(t) for t in tokens if t not in STOP_WORDS]


SWAP_MIN_LEN = 4


def is_swap_typo(a: str, b: str) -> bool:
    """Two neighbouring letters typed the wrong way round ("aurroa" for "aurora", "azrue" for "azure")."""
    if len(a) != len(b) or a == b:
        return False
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]


def _different_words(a: str, b: str) -> bool:
    """One word is the other with a negating prefix ("supported"/"unsupported", "public"/"nonpublic") or a leading
    "a" ("across"/"cross", "aside"/"side") or one letter more in front of a short word ("reach"/"breach"), or the two
    are different words that only look alike ("residency" is where data lives, not "resiliency")."""
    short, long_ = sorted((a, b), key=len)
    return (any(long_ == p + short for p in ("un", "non", "in", "dis", "de", "a"))
            # a short word with one more letter in front is another word ("reach"/"breach"), not a typo of it
            or (len(short) <= 6 and long_[1:] == short)
            or frozenset((a, b)) in _LOOK_ALIKES or frozenset((stem(a), stem(b))) in _LOOK_ALIKES)


# stems of different words within the typo distance of each other
_LOOK_ALIKES = frozenset(frozenset(p) for p in (("residency", "resiliency"), ("resident", "resilient"),
                                                 ("retir", "retry"),  # a drive *retired* is not a call *retried*
                                                 # traffic *inspection* is not the *Inspector* scanning product
                                                 ("inspection", "inspector"), ("inspections", "inspector")))


_SWAPPED_WORD_MIN_LEN = 7  # (shorter swaps are often words of their own: "trial", "trail")


class Vocabulary:
    """A fixed set of tokens and a cached fuzzy lookup into it.

    A token matches itself, tokens within ``FUZZY_CUTOFF`` (rapidfuzz ratio, five letters or more), and
    tokens it equals but for two swapped neighbouring letters (four letters or more): the ratio punishes
    a swap hard in short words ("lamdba" scores 83 against "lambda").
    """

    def __init__(self, tokens: Iterable[str]):
        self.tokens = sorted(set(tokens))
        self._set = self.tokens_set = frozenset(self.tokens)
        self._cache: dict[str, frozenset[str]] = {}
        self._by_letters: dict[str, list[str]] = {}
        for t in self.tokens:
            if len(t) >= SWAP_MIN_LEN:
                self._by_letters.setdefault("".join(sorted(t)), []).append(t)

    def swapped(self, token: str) -> list[str]:
        """Vocabulary tokens this token equals but for two swapped neighbouring letters (four letters or more)."""
        if len(token) < SWAP_MIN_LEN:
            return []
        return [t for t in self._by_letters.get("".join(sorted(token)), ()) if is_swap_typo(token, t)]

    def matches(self, token: str) -> frozenset[str]:
        """Vocabulary tokens this (already stemmed) token stands for."""
        hit = self._cache.get(token)
        if hit is not None:
            return hit
        found = {token} if token in self._set else set()
        if len(token) >= FUZZY_MIN_LEN:
            for cand, _score, _i in process.extract(
                token, self.tokens, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=None
            ):
                # a longer word that starts with this one is a derived word, not a typo ("certificat" is not
                # "certification")
                # nor is a word with a negating prefix ("unsupported" is not "supported", "unencrypted" not
                # "encrypted")
                # nor is the doer of the verb ("operates" is not "operator", "manage" not "manager") or the one
                # inside ("inside" is not "insider")
                if len(cand) >= FUZZY_MIN_LEN and not (cand.startswith(token) and (
                        len(cand) - len(token) >= 3 or cand[len(token):] in ("or", "er")
                        or (token.endswith("e") and cand[len(token):] == "r"))) \
                        and not _different_words(token, cand):
                    found.add(cand)
        found.update(t for t in self.swapped(token) if not _different_words(token, t))
        if not found and len(token) >= _SWAPPED_WORD_MIN_LEN:  # a whole word with two letters swapped, whose stem is
            # shorter than the typo ("encrytpion" is "encryption", stemmed "encrypt")
            found.update(st for st in map(stem, swaps(token)) if st in self._set and not _different_words(token, st))
        result = frozenset(found)
        if len(self._cache) < 50_000:
            self._cache[token] = result
        return result
