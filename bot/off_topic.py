"""Questions the matrix must not answer (pure word lists and tests; used by bot/resolver.py).

* ``out_of_scope``: topics a responsibility matrix must not answer (billing, pricing, hiring, support plans, on-call
  rotas, fines, office IT...), however security-like the rest of the question is;
* ``not_a_duty``: questions that ask no duty at all (physical or household senses, events, personal IT requests,
  news, outage status, tooling snippets, how-to / version / limit trivia without "who/whose"; requests for a
  command or snippet: bot/how_to.py);
* ``asks_a_duty``: a word about whose job something is; ``names_provider_layer``: the duty placed on the
  provider's own infrastructure.
"""
from __future__ import annotations

import re
from typing import Iterable, Sequence

from rapidfuzz import fuzz

from bot.fact_frame import CHOOSING
from bot.how_to import asks_for_material
from bot.scope import CLOUD_MODEL_WORDS, PRODUCT_NAMES, PROVIDER_WORDS, PhraseIndex
from bot.textmatch import OWN_LAYER_WORDS, STOP_WORDS, stem, swaps

# single words (compared after stemming, on the words left once services and models are taken out)
_OUT_OF_SCOPE_LIST = """
bill billing invoice invoices pricing price prices cost costs pay pays paid payment refund
discount discounts budget budgets salary salaries lunch coffee vacation hiring
recruit recruiter recruiting candidate candidates interview interviews headcount payroll expense
expenses reimburse reimbursement tax taxes capital weather ceo founder wrote invented
rename license licensing spend spending finops rightsizing rightsize cheapest cheaper expensive afford
quota quotas savings wifi printer printers standup calendar birthday pto exam exams
practitioner lawsuit lawsuits lawyer lawyers attorney penalty penalties fined procurement purchase
purchasing negotiate negotiates negotiating negotiation contract contracts tam
reinvent conference summit webinar keynote okr okrs dpo ciso recommend reimbursed reimbursing fee fees
charges charged paying billed cheap pricey tco roi
quiz quizzes trivia offsite offsites timezone timezones paged paging pager career careers ckad cka ccna ccnp ccie
cissp ccsp comptia
roadmap roadmaps slides deck decks presentation presentations spreadsheet spreadsheets pr prs subtitle subtitles
""".split()
_OUT_OF_SCOPE_WORDS = frozenset(stem(w) for w in _OUT_OF_SCOPE_LIST)


def _typos_of(word: str) -> set[str]:
    """``word`` with two neighbouring letters swapped, one letter typed twice, or a doubled letter typed once."""
    swapped = set(swaps(word))
    doubled = {word[:k] + word[k] + word[k:] for k in range(len(word))}
    undoubled = {word[:k] + word[k + 1:] for k in range(len(word) - 1) if word[k] == word[k + 1]}
    return (swapped | doubled | undoubled) - {word}


# long out-of-scope words (six letters or more) as typed with one slip ("carreer", "biling", "invocie") -> the word's
# stem; a slip that is itself a word of the list is read as that word
_TYPED_OUT_OF_SCOPE = {typo: stem(w) for w in _OUT_OF_SCOPE_LIST if len(w) >= 6 for typo in _typos_of(w)
                       if typo not in _OUT_OF_SCOPE_LIST}


def _typed_out_of_scope(raw: Sequence[str]) -> frozenset[str]:
    """Long out-of-scope words typed with two neighbouring letters swapped or one letter doubled or not doubled:
    their stems. Looser typos are left alone ("layer" is not "lawyer", "changed" not "charged")."""
    return frozenset(_TYPED_OUT_OF_SCOPE[t] for t in raw if t in _TYPED_OUT_OF_SCOPE)


# phrases (compared on the raw words of the whole question), one per "|" or line
_OUT_OF_SCOPE_PHRASES: PhraseIndex = PhraseIndex((tuple(p.split()), True) for p in re.split(r"[|\n]", """
on call|oncall|on duty|support plan|support plans|support case|support cases|support ticket|support tickets
enterprise support|business support|developer support|premium support|premier support|unified support
free tier|savings plan|savings plans|reserved instance|reserved instances|committed use|account manager
account managers|sales rep|re invent|legal advice|who won|sla credit|sla credits|service credit|service credits
data protection officer|how much money|certification should|certification to|certifications should
in the office|at the office|study for|prep for|study guide|study guides|should i go for|which certification|professional cloud architect
study group|study groups|exam prep|which exam|cert worth it|certification worth it|specialty cert|security specialty
certificate worth it|certificate first|certification first|exam first|which certificate should|pca certificate
ace certificate|pca exam|ace exam|associate cloud engineer|professional cloud|ace or the pca|pca or the ace
worth it or should i|should i do ckad|ckad first|cka first|ace or pca|pca or ace|helps more for|for a cloud job|eng job
engineer job|engineering job|job hunt|job hunting|job search|job interview
solutions architect associate|solutions architect professional|sysops administrator associate|developer associate
devops engineer professional|cloud practitioner|security specialty cert|advanced networking specialty
specialty certificate|solutions architect first|architect first|associate first|or solutions architect|sysops first
settling a bet|settle a bet|settling an argument|settle an argument|for a bet|year did|year was
about the history|history of the|the history behind|just curious about|built on dremel|originally built|was it built on
cloud architect certificate|security engineer certificate|architect certification|associate certification
certification before the|exam before the|before the professional|before the associate|professional architect one
cert should i|cert shud i|cert shld i|certs should i|from dba to|to data eng|into data eng
per month|per hour|per year|per gb|per user|per request|per vcpu|pull request|pull requests|merge request
review it today|review my change|review my pr
time zone|time zones|what s the sla|what is the sla|whats the sla|what sla|which sla|next outage|when is the next
tax return|tax returns|tax filing|tax filings|prepares the tax|prepare the tax|prepares our tax|prepare our tax|files the tax
file the tax|files our tax|file our tax|tax records for the irs
default limit of|default limits|service limit|service limits|limit increase|limit increases|raise the limit|ask to raise
""") if p.strip())


# products' feature names that hold an out-of-scope word (Azure DDoS Protection's and Shield Advanced's "cost protection",
# Cloud Armor Managed Protection Plus's "bill protection"),
# and a reminder set for a duty ("do we need a *calendar reminder* to renew it"), or a duty put on our calendar ("zsk
# rollover - does that *go on our ops calendar*?")
_FEATURE_NAMES: PhraseIndex = PhraseIndex((tuple(p.split()), True) for p in [
    "cost protection", "bill protection", "billing protection", "payment hsm", "payment hsms", "payments hsm",  # and Azure's Payment HSM
    "pod disruption budget", "pod disruption budgets", "disruption budget", "disruption budgets",  # Kubernetes PDBs
    "calendar reminder", "calendar reminders", "calendar alert", "calendar alerts",
    "go on our calendar", "goes on our calendar", "go on our ops calendar", "goes on our ops calendar",
    "on our ops calendar", "reminder in the calendar", "reminder in our calendar", "reminders in the calendar",
    "reminder on the calendar", "reminder on our calendar",
    # how much of a calendar staff may share outside the organization is a tenant setting
    "calendar sharing", "calendar external sharing", "external calendar sharing", "calendar details", "share calendar",
    "share calendars", "share their calendar", "share their calendars", "share full calendar", "sharing calendars",
    "calendar sharing settings", "calendar sharing setting", "calendar visibility",
    # where a subscription sits ("we bought managed protection plus *on the billing account*, do we enroll the
    # projects"), not the bill; joining the billing account ("add me to the billing account") stays out of scope
    "on the billing account", "at the billing account", "billing account level",
    # kinds of sensitive data a DLP rule looks for ("scanning for *tax ids*"), not a tax question
    "tax id", "tax ids", "tax number", "tax numbers", "tax identification",
    # ... or the records a retention label or policy keeps ("retention labels for our *tax docs*")
    "tax docs", "tax documents"])

# a suite's calendar named beside one of the tenant's data-protection settings ("calendar events with sensitive stuff -
# who sets up *dlp* for that"): the product, not a meeting put on someone's calendar
_TENANT_SETTING_WORDS = frozenset("dlp retention vault ediscovery cse encryption encrypted".split())
# a meeting about the setting ("who sent the calendar invite for the dlp *review*")
_MEETING_WORDS = frozenset("review reviews meeting meetings sync call calls session sessions workshop demo standup".split())


# what the suite's calendar holds: "dlp *on calendar event* descriptions" is the app, "put it *on calendar*" a diary
_CALENDAR_CONTENT = frozenset("event events entries entry invites invitations descriptions items attachments".split())


def _calendar_as_the_suite(raw: Sequence[str]) -> bool:
    """The suite's calendar beside a data-protection setting, not a person's calendar ("add the dlp review *to my
    calendar*") nor a meeting about the setting."""
    return bool(_TENANT_SETTING_WORDS.intersection(raw)) and not _MEETING_WORDS.intersection(raw) and any(
        t == "calendar" and not (i and (raw[i - 1] in {"my", "your"} or (raw[i - 1] in {"to", "on", "in"} and not (
            i + 1 < len(raw) and raw[i + 1] in _CALENDAR_CONTENT)))) for i, t in enumerate(raw))

_EVICTION_WORDS = frozenset("evicted eviction evictions evict evicts".split())
_PAY = frozenset("pay pays paid paying buy buys buying bought".split())
_PAY_STEMS = frozenset(stem(w) for w in _PAY)
PAYMENT_WORDS = _PAY | _PAY_STEMS  # words and stems of paying and buying (bot/resolver.py: paid in the context only)
_BUY = frozenset("buy buys buying bought".split())
_NEGATIONS = frozenset("t not never without nt no".split())
_TIER_NOUNS = frozenset("tier tiers plan plans sku skus edition editions version option offering add addon addons".split())
_BETWEEN_NOT = frozenset("us we i actually even having".split())
# duty verbs that, beside buying, make the duty the question ("do we have to buy and renew ...", "who buys *and installs*")
_BESIDE_BUYING = frozenset("""turn turns enable enables activate activates renew renews rotate rotates install installs
manage manages maintain maintains upload uploads import imports switch switches set sets setup configure configures
assign assigns issue issues provision provisions deploy deploys bind binds""".split())
# the provider offered as the one who already does it ("..., or is google already *doing it*")
_ALTERNATIVE_DOER = re.compile(r"\bor (is|does|do|will|would) (\w+ ){0,2}(doing|do|handling|handle|handles|protecting|"
                               r"protect|mitigating|mitigate|covering it|cover it|covers it|providing|provide|give|gives|giving|"
                               r"issue|issues)\b"
                               # "... or is basic protection *aws's*": the provider's already
                               r"|\bor (is|are) (\w+ ){0,3}(aws|amazon|azure|microsoft|msft|gcp|google|provider) s\b"
                               # "... or is it just there": it comes with the service already
                               r"|\bor (is|are) (it|that|this|they) (just |already )?there\b")


# "do we have to sign up and pay *or does aws just turn it on* for us": paying set against the provider switching it on
_SWITCHED_ON_INSTEAD = re.compile(r"\bor (does|do|will|would) (\w+ ){0,2}(turn|turns|switch|switches) "
                                  r"(on (it|that|this)|(it|that|this) on)\b"
                                  r"|\bor (does|do|will|would) (\w+ ){0,2}(enable|enables) (it|that|this)\b")


def not_a_purchase(raw: Sequence[str]) -> bool:
    """A word of paying or buying that asks no purchase: negated ("*without paying* for ddos network protection, does
    azure still do anything") or set against the provider doing it already ("do we have to buy something for basic
    ddos protection, or is google already doing it")."""
    # "or is *the paid tier* automatic": a tier's name, not a payment ("paid" read as a word of paying otherwise)
    at = [i for i, t in enumerate(raw) if t in _PAY and not (
        t == "paid" and raw[i - 1:i] in (["the"], ["a"], ["our"]) and raw[i + 1:i + 2] and raw[i + 1] in _TIER_NOUNS)]
    if all(i and (raw[i - 1] in _NEGATIONS or (i >= 2 and raw[i - 2] in _NEGATIONS and raw[i - 1] in _BETWEEN_NOT)
                  # "*no* ddos *plan bought*": a tier named as not bought
                  or (raw[i - 1] in _TIER_NOUNS and bool(_NEGATIONS.intersection(raw[max(0, i - 4):i - 1]))))
           for i in at):  # "*without us buying* a plan"
        return True
    # "do we have to buy/turn on something": buying set beside switching it on asks whether it is there already;
    # "do we have to buy and renew a tls cert ourselves": beside a duty, the duty is asked
    # ("do we have to *pay for / turn on* anything": a verb right after "pay for" is its alternative, not what is paid for)
    # ("do we need to buy anything *or configure* something": the alternative after "anything or")
    if all(_BESIDE_BUYING & set(raw[i + 1:i + (4 if raw[i + 2:i + 3] == ["or"] else 3)]) if raw[i] in _BUY else
           raw[i + 1:i + 2] == ["for"] and _BESIDE_BUYING & set(raw[i + 2:i + 3]) for i in at):
        return True
    # "do we have to *set anything up or pay for it*": paying for the same thing ("it") as the other side of a setup
    if at and all(raw[i - 1:i] == ["or"] and raw[i + 1:i + 3] in (["for", "it"], ["for", "that"], ["for", "this"])
                  and _BESIDE_BUYING & set(raw[max(0, i - 5):i - 1]) for i in at):
        return True
    if at and all(_bought_then_asked(raw, i) or _buying_as_when(raw, i) for i in at):
        return True
    # "route 53 hosted zones - *who protects* them from ddos, do we need to *buy something*?": whether the duty needs
    # something bought, after a who-question about it
    # ("do we *pay/configure anything*": a setup verb beside the paying word, then what)
    if at and all(raw[i + (2 if raw[i + 1:i + 2] and raw[i + 1] in _BESIDE_BUYING else 1):][:1]
                  in (["something"], ["anything"], ["extra"]) and "who" in raw[:i] for i in at):
        return True
    # buying a product or plan, not paying a bill ("do we have to pay for egress or does aws do it")
    text = " ".join(raw)
    if not all(raw[i] in _BUY for i in at):
        # "we *pay for* shield advanced, is our alb *automatically* protected now or do we add it": a plan already
        # paid for, the question is what it covers
        return (bool(_INCLUDED.search(text)) and any(raw[i - 1] in {"we", "i"} for i in at if i)) or (
            bool(_SWITCHED_ON_INSTEAD.search(text)) and any(w in PROVIDER_WORDS for w in raw))
    # "do we get ddos protection on cloudfront *automatically* or do we have to buy something": is it included;
    # "do we need to buy a ddos plan *to cover* azure dns itself": is that thing covered without one
    # ("*is our cloud cdn covered* for volumetric ddos or do we have to buy something extra", "*is there any* baseline ddos
    # protection from azure or do we have to buy something": is it there already)
    return bool(_INCLUDED.search(text) or _BUY_TO_COVER.search(text) or _COVERED_ALREADY.search(text)) or (
        bool(_ALTERNATIVE_DOER.search(text)) and any(w in PROVIDER_WORDS for w in raw))


_COVERED_ALREADY = re.compile(r"^(?:is|are)\b(?: \S+){1,5} covered\b|\b(?:is|are) there (?:any|some)\b")


def _pays_attention(raw: Sequence[str], i: int) -> bool:
    """"who *pays attention* to redis version updates": watching something, not paying for it."""
    return raw[i] in _PAY and raw[i + 1:i + 2] == ["attention"]


_TOLD_AS_DONE = frozenset("just we i already recently".split())
_MONEY_WORDS = frozenset("""refund refunds cost costs charge charges charged bill billed price prices cheaper discount
discounts invoice money credit credits""".split())


def _bought_then_asked(raw: Sequence[str], i: int) -> bool:
    """ "*just bought* w365 licences, does microsoft assign them to users or do we": a purchase told as done, then
    whether the provider does something with what was bought (no money word after it)."""
    after = raw[i + 1:]
    return (raw[i] in {"bought", "paid"} and i > 0 and raw[i - 1] in _TOLD_AS_DONE
            and any(t in {"does", "do"} and after[k + 1:k + 2] and after[k + 1] in PROVIDER_WORDS
                    for k, t in enumerate(after))
            and not _MONEY_WORDS.intersection(after))


def _buying_as_when(raw: Sequence[str], i: int) -> bool:
    """ "is the redundancy all on microsoft *once we buy* the circuit": the purchase says when, the duty is asked (no
    money word in the question)."""
    return (raw[i] in _BUY and i >= 2 and raw[i - 1] == "we" and raw[i - 2] in {"once", "after", "when"}
            and not _MONEY_WORDS.intersection(raw))


_BUY_TO_COVER = re.compile(r"\b(?:need|have|must)\s+to\s+buy\b(?:\s+\w+){0,4}?\s+to\s+(?:cover|protect)\b")


_INCLUDED = re.compile(r"\b(automatic(?:al)?l?y|by default|out of the box|built in|for free|at no (extra )?(cost|charge)|"
                       r"included)\b.*\bor\b|\bor\b.*\b(automatic(?:al)?l?y|by default|out of the box|built in|included)\b")


_BOUGHT_THINGS = frozenset("""product products app apps tool tools software service services saas platform one ones cert
certs certificate certificates license licenses""".split())  # "it's *one we bought* from digicert"


# software whose licence the customer brings to a managed engine (BYOL)
_LICENSED_SOFTWARE = frozenset("ibm db2 oracle sql server windows sap byol".split())


_HOLD_WORDS = frozenset("hold holds retention ediscovery preserve preservation".split())


_ALERTING = frozenset("alert alerts alerting alarm alarms notification notifications metric metrics monitor monitoring".split())


_CASES = frozenset("case cases ticket tickets".split())


def _during_a_case(raw: Sequence[str], i: int, phrase: tuple[str, ...]) -> bool:
    """A support case only says when something happens ("engineers touching our data *during a support case*"), not
    what is asked (opening or paying for one); so do cases "during" which it happens ("staff touching our resources
    *during support cases*")."""
    return phrase[0] == "support" and phrase[-1] in _CASES and (raw[i - 1:i] == ["during"] or raw[max(0, i - 2):i] in (
        ["during", "a"], ["during", "the"], ["during", "our"], ["in", "a"], ["for", "a"]))


# words before "free tier" that make it the pricing programme ("past *the* free tier", "*aws* free tier limits")
_BEFORE_THE_PROGRAMME = frozenset("""the a an past after beyond of on in our their its within under over exceed exceeds
exceeded exceeding""".split())


def _an_edition(raw: Sequence[str], i: int, phrase: tuple[str, ...]) -> bool:
    """ "Free tier" right after a product's name is that product's edition ("*entra free tier*, who turns on mfa for
    everyone"), and a whose-question after it asks a duty on that edition; after a provider's name, a determiner or
    a preposition it is the pricing programme ("what are *the free tier* limits on lambda")."""
    return (phrase == ("free", "tier") and i > 0 and raw[i - 1] not in _BEFORE_THE_PROGRAMME
            and raw[i - 1] not in PROVIDER_WORDS and bool(_WHO_WORDS.intersection(raw[i + 2:]))
            and not _WHAT_IS_FREE.intersection(raw[i + 2:]))


_WHO_WORDS = frozenset({"who", "whose"})
# what the programme gives ("who decides how many requests *are free*", "... the *limits*")
_WHAT_IS_FREE = frozenset("free limit limits allowance allowances usage included includes eligible".split())


def _in_a_purpose(raw: Sequence[str], i: int) -> bool:
    """The word sits in a purpose clause ("so oncall gets paged", "so that on call is paged") of a question about
    alerting: who is paged is why the alert is set up, not the topic."""
    return "so" in raw[max(0, i - 4):i] and bool(_ALERTING.intersection(raw[:i]))


_PAGED_ASKS = (["who", "gets"], ["who", "get"], ["who", "is"], ["who", "s"], ["who", "getting"])
_PAGER_ASKS = (["is", "that"], ["is", "this"], ["is", "it"], ["s", "that"], ["s", "this"], ["s", "it"])


def _asks_who_responds(raw: Sequence[str], i: int) -> bool:
    """The closing ask of a described failure: "app routes going unhealthy, *whose pager is that*", "the rds failover
    at 3am - *who gets paged*?": who responds to that incident, not the team's paging rota ("who gets paged *this
    weekend*")."""
    if i < 3:
        return False
    if raw[i] == "pager":
        return raw[i - 1] == "whose" and raw[i + 1:i + 3] in _PAGER_ASKS and i + 3 == len(raw)
    return raw[i - 2:i] in _PAGED_ASKS and (i + 1 == len(raw) or raw[i + 1:] in (["for", "that"], ["for", "it"],
                                                                                 ["for", "this"]))


_SET_OFF = frozenset("off disabled switched turned pinned".split())


def _word_of_a_duty(raw: Sequence[str], i: int) -> bool:
    """An out-of-scope word used for a duty: paged *to do* something ("do we get paged to swap it"), the licence of
    software brought to a managed engine ("the *ibm license*", "bring our own oracle licenses")."""
    t, prev = raw[i], raw[i - 1] if i else ""
    if t in {"paged", "paging", "oncall"}:  # "... alerts *so oncall gets paged*": the purpose of an alerting duty
        return raw[i + 1:i + 2] == ["to"] or _in_a_purpose(raw, i) or _asks_who_responds(raw, i)
    if t in {"price", "prices"}:  # a spot VM "evicted on price": the eviction type, not a price question
        return bool(_EVICTION_WORDS.intersection(raw))
    if t in {"pager", "pagerduty"}:  # "wires up the alert policy + *pager notification channel*": alert routing
        return _asks_who_responds(raw, i) or raw[i + 1:i + 2] in (
            ["notification"], ["notifications"], ["channel"], ["channels"], ["alert"], ["alerts"], ["integration"],
            ["integrations"])
    if t in {"lawsuit", "lawsuits"}:  # "legal hold on a leaver's mailbox *for a lawsuit*": why a hold is placed
        return prev in {"a", "the", "pending"} and bool(_HOLD_WORDS.intersection(raw))
    if t in {"ceo", "ceos"}:  # "put *the ceo's mailbox* on hold", "*our ceo* keeps getting spoofed": a user of ours
        return prev in {"our", "my"} or raw[i + 1:i + 2] == ["s"]
    if t in {"exam", "exams"}:  # "paused auto updates during *exam week*": a time of the year, not a certification
        return raw[i + 1:i + 2] in (["week"], ["weeks"], ["season"], ["period"], ["time"])
    if t in {"license", "licenses", "licence", "licences", "licensing"}:
        # (staying licence compliant is a duty: "who has to stay *license compliant*, us or amazon"; so is assigning
        # the licences a feature needs to users: "do we have to *assign vault licenses* so data gets retained")
        # ... and so is a licence given as the reason for a set-up: "host maintenance off *for licensing reasons*"
        return (prev in _LICENSED_SOFTWARE or "byol" in raw or "byo" in raw
                or raw[i + 1:i + 2] in (["compliant"], ["compliance"], ["reasons"], ["reason"])
                # ... or given as an aside before the question's own clause ("on our dedicated hosts *(licensing). if*
                # a host degrades ...")
                or (raw[i + 1:i + 2] in (["if"], ["but"]) and (
                    prev not in {"about", "on", "for", "with", "the", "our"}
                    # ... also as the reason of a setting turned off before it ("host maintenance *off* on our
                    # dedicated hosts *for licensing. if* a host degrades ...")
                    or (prev == "for" and bool(_SET_OFF.intersection(raw[max(0, i - 8):i - 1])))))
                or (prev == "of" and raw[max(0, i - 2):i - 1] == ["because"])
                or any(w in {"assign", "assigns", "assigned", "assigning"} for w in raw[max(0, i - 3):i]))
    return False


# what a "stock" thing is when it means standard, as shipped ("stock debian image", "stock ami")
_STOCK_THINGS = frozenset("""image images ami amis os kernel debian ubuntu windows linux rhel centos config configs
settings setting template templates version versions build builds install""".split())
# words before "fine" that make it a penalty ("*a* fine", "*gdpr* fine", "who *pays* the fine")
_PENALTY_BEFORE = frozenset("""a the any gdpr hipaa pci regulatory regulator big huge hefty massive pay pays paying paid
get gets got getting our their that this million max maximum""".split())


_ORDERED_LINKS = frozenset("connection connections circuit circuits port ports crossconnect cross line lines link links".split())


def _raw_word_out_of_scope(toks: Sequence[str], i: int) -> bool:
    """Words whose stem is ambiguous: "fines" (not "fine-grained"), "orders" (not "in order to"),
    "hire" (not "a new hire", who is onboarded)."""
    t, prev = toks[i], toks[i - 1] if i else ""
    nxt = toks[i + 1] if i + 1 < len(toks) else ""
    if t == "fine":  # a penalty ("a fine", "gdpr fine", "fine for a breach"), not "fine-grained" or "worked fine"
        return (not nxt.startswith(("grain", "tun")) and (prev in _PENALTY_BEFORE or nxt in {"for", "of", "if", "under"})
                and prev not in {"is", "s", "it", "be", "are", "that", "all", "seems", "looks", "work", "works"})
    if t == "hire":
        return prev not in {"new", "a"}
    if t in {"buy", "buys", "buying", "bought"}:  # "a saas product we buy" names the thing asked about, not a purchase
        if prev in {"t", "not", "never", "without", "nt"}:  # "we didn't buy a ddos plan: are we still covered"
            return False
        if prev in {"we", "i"} and i >= 2 and toks[i - 2] in _BOUGHT_THINGS:
            return False
        # "if we buy *a saas product*, who patches ...", "bought an app service certificate ... - *do we* need to re-bind
        # it": the product bought is what is asked about, with a who-word or a duty asked of us
        bought = [t for t in toks[i + 1:i + 4] if t not in {"a", "an", "the", "some", "new"}][:2]
        # ("buy a *certificate for* front door": the thing bought before what it is for)
        return not (bought and (bought[-1] in _BOUGHT_THINGS or (bought[0] in _BOUGHT_THINGS and bought[1:] == ["for"]))
                    and (_WHO_WORDS.intersection(toks) or any(
            toks[k:k + 2] in (["do", "we"], ["we", "need"], ["we", "have"], ["we", "must"]) for k in range(len(toks)))))
    if t in {"stock", "stocks"}:  # shares and prices, not "a *stock* debian image", "stock ami", "stock code-oss image"
        return not _STOCK_THINGS.intersection(toks[i + 1:i + 5])
    if t in {"orders", "ordering", "ordered"}:  # "who *orders the second connection*": provisioning a link is a duty
        return not _ORDERED_LINKS.intersection(toks[i + 1:i + 5])
    return t in {"fines", "parking"}  # ("the keys we *park* in secret manager")


# --- questions that are not about a duty at all (whatever cloud words they carry) -----------------------------
# a physical, household or clothing sense of a word ("patch the hole in the *wall*", "iron-on patches for *hoodies*")
_PHYSICAL_THINGS = frozenset("""wall walls kitchen kitchens ceiling ceilings roof roofs floor floors carpet carpets
doorway fridge toilet toilets bathroom couch sofa furniture paint painting drywall plaster
hoodie hoodies shirt shirts tshirt tshirts jacket jackets sweater sweaters jeans trousers pants socks sock jersey
jerseys sticker stickers mug mugs tyre tyres tire tires bike bikes car cars garden lawn
iron
typo typos readme spelling grammar""".split())  # and the editing sense ("patch the typo in the readme")
# events, people and internal logistics, not duties ("who's presenting the demo", "the jira board for X")
_EVENT_WORDS = frozenset("""presenting presenter presenters presentation presentations demo demos demoing keynote
keynotes announcement announcements announced newsletter podcast meetup meetups hackathon lunchandlearn kickoff kickoffs
notetaker notetakers""".split())
_NOT_A_DUTY_PHRASES: PhraseIndex = PhraseIndex((tuple(p.split()), True) for p in re.split(r"[|\n]", """
what s new|whats new|what is new|what s changed|whats changed|release notes|is there an outage|is there any outage
any outage|outage right now|down right now|is it down|status page|reset my|unlock my|add me|give me|grant me|send me
my password|my laptop|my account|review my|my pr|my pull request|help me
slack channel|jira board|jira ticket|jira project|confluence page|wiki page
the pr|this pr|that pr|in pr|pr review|review the pr|reviewing the pr|reviewing the patch|review the patch
reviewing my|reviews my|my patch|pr is open|pr open|open pr|merge my|approve my pr|approve my patch
difference between|differences between|any tips|tips for|tips on
code sample|code snippet|sample code|has feature|which feature
patch notes|patch note
meeting invite|meeting invites|calendar invite|calendar invites|meeting notes|the meeting|standup|offsite
monday meeting|monday meetings|tuesday meeting|tuesday meetings|wednesday meeting|wednesday meetings|thursday meeting
thursday meetings|friday meeting|friday meetings|weekly meeting|weekly meetings|daily meeting|daily meetings|monthly meeting
monthly meetings|team meeting|team meetings|sync meeting|sync meetings|status meeting|status meetings|planning meeting
planning meetings|review meeting|review meetings|kickoff meeting|kickoff meetings|move the meeting|reschedule the meeting
holiday request|holiday requests|holiday party|holiday schedule|holiday calendar|public holiday|public holidays
holiday leave|holiday allowance|bank holiday|bank holidays
cleanup party|clean up party|cleaning party|pizza party|team party|office party|launch party|release party|farewell party
leaving party|birthday party|christmas party|xmas party|summer party|party tonight|party tomorrow|party on friday
meeting room|meeting rooms|sync invite|sync invites|the invite|review invite|standup invite|move the invite
book the room|booking the room|books the room|booked the room|book a room|booking a room|books a room|booked a room
room booking|room bookings
conference room|conference rooms
cab invite|cab invites|cab meeting|cab meetings
organiser left|organizer left|the organiser|the organizer|rotation meeting|rotation meetings|helpdesk rotation
note taker|note takers|take notes|taking notes|takes notes|takes the notes|take the notes
product owner|product owners|product manager|product managers|program manager|engineering manager
this sprint|next sprint|the sprint|sprint planning|story points|the ticket|this ticket|that ticket
naming convention|naming conventions|design doc|design docs|google doc|architecture doc|network diagram|network diagrams
need edit access|need edit rights|need editor access|need view access|need viewer access
can t find it|cannot find it|put the runbook|the runbook in|runbook in the
who here|any advice|career advice|mentoring|mentor juniors|mentoring juniors|career move|career path|moving from sysadmin
move from sysadmin|from sysadmin into|from sysadmin to|move into sre|moving into sre|get into sre|getting into sre
into an sre role|sre job|sre jobs
promotion committee|promotion cycle|promotion packet
promotion to staff|promotions to staff|promoted to staff|promotion to senior|promotions to senior|promoted to senior
confuse me|confuses me|confusing me|these numbers|version numbering|numbering scheme
""") if p.strip())
# infrastructure-as-code artefacts asked about as such ("review my terraform module"); with a who-word the question
# may ask a duty about what is in them ("a password hardcoded in a cloudformation template, whose problem is that")
_TOOLING_PHRASES: PhraseIndex = PhraseIndex((tuple(p.split()), True) for p in (
    "terraform module", "terraform modules", "terraform example", "helm chart", "helm charts",
    "cloudformation template", "cloudformation templates", "bicep template", "bicep templates", "bicep module"))
# how-to, version and limit trivia: out of scope unless the question also asks whose job it is
_HOW_TO = PhraseIndex((tuple(p.split()), True) for p in (
    "how to", "how do i", "how do you", "how can i", "how should i", "steps to", "tutorial for", "guide for",
    "hwo to", "hwo do i", "hwo can i", "hw to", "hw do i", "hw can i",  # typed fast
    "whats the call", "what s the call", "what is the call",
    # syntax and format ("is it written 30d or 720h")
    "is it written", "how is it written", "written as", "docs are confusing", "what format", "which format",
    # history and personal sign-in, not duties ("when did aws launch kms", "which tenant should i log into")
    "when did", "when was", "when were", "whne did", "wehn did", "wen did", "whn did", "whne was", "wen was",
    "log into", "log in to", "sign into",
    # dates ("which day patch tuesday falls on")
    "which day", "what day", "which date", "what date", "falls on",
    # products compared as such ("is a shared drive the same thing as a shared folder"), with no duty asked
    "the same thing as", "same thing as"))
_TRIVIA_NOUNS = frozenset("""limit limits version versions size sizes number quota quotas timeout timeouts duration
concurrency connections throughput iops""".split())
_TRIVIA_ASKS = frozenset("what whats which default max maximum latest current newest there higher increase raise bigger"
                         .split())
_HOW_MANY = PhraseIndex([(("how", "many"), True)])
# "... is that *on us*", "*up to us*", "or is that *on our side*": asks whether the side is ours
ASKS_OUR_SIDE = PhraseIndex([(tuple(p.split()), True) for p in ("on us", "up to us", "our job", "our homework", "our problem",
                                                                   "on our side", "our side", "on our end", "decided by us",
                                                                   "set by us", "chosen by us", "our call", "our decision",
                                                                   "something we set", "something we configure",
                                                                   "something we choose", "something we decide")])
# words that ask whose job something is: with them, "how many days of backups do we keep, who sets that" is a duty
_ASKS_WHOSE = frozenset("who whose whom responsible responsibility responsibilities accountable job duty".split())
_DUTY_CUES = frozenset("""who whose whom responsible responsibility responsibilities accountable owner owns own
us we our ours job duty problem fault automatic automatically builtin built""".split())


# the provider's own layer named as the place of the duty ("vulnerability management for *google's infrastructure*",
# "incident response for the *underlying infrastructure*")
_LAYER_WORDS = frozenset("infrastructure platform hardware datacenter datacenters hosts backbone systems".split())
_OWNER_WORDS = frozenset({"underlying", "provider", "providers", "its", "their", *PROVIDER_WORDS})


_RUNS_IT = frozenset("runs run powers power carries carry hosts host underpins underpin".split())
_PROVIDERS_PLANT = frozenset("edge backbone infrastructure hardware fiber fibre datacenters datacentres".split())


_UNDER = frozenset({"underneath", "beneath", "under"})
_UNDER_OUR = frozenset("hosts servers hardware".split())


def _under_the_provider(raw: Sequence[str], i: int) -> bool:
    """The layer word at ``i`` sits under the provider's services: "who secures *the network underneath gcp*
    services", "failed physical *hosts under our azure* workloads"; not "the network under our gcp project" (the
    project's own network)."""
    if i + 1 == len(raw) or raw[i + 1] not in _UNDER:
        return False
    after = list(raw[i + 2:i + 4])
    if after[:1] == ["the"] or (after[:1] == ["our"] and raw[i] in _UNDER_OUR):
        after = after[1:]
    return bool(after) and after[0] in PROVIDER_WORDS


_SITS_ON = frozenset("runs run sits sit lives live".split())


def _the_service_runs_on(raw: Sequence[str], i: int) -> bool:
    """The layer word at ``i`` is what the managed service runs on: "who secures the network infrastructure *(that)
    the service runs on*", "the infrastructure *that google runs its services on*", "the network that *cloudfront
    itself runs on*"; not what our own workloads run on ("the servers our app runs on")."""
    k = i + 1
    for skippable in ({"that", "which"}, {"the"}):
        if k < len(raw) and raw[k] in skippable:
            k += 1
    for n in (1, 2):  # "the network that *cloudfront itself runs on*": the named service itself
        if raw[k + n:k + n + 1] == ["itself"] and raw[k] not in {"our", "my", "we"} and raw[k + n + 1:k + n + 3] and \
                raw[k + n + 1] in _SITS_ON and raw[k + n + 2:k + n + 3] == ["on"]:
            return True
    if k + 3 < len(raw) and raw[k] in PROVIDER_WORDS and raw[k + 1] in _RUNS_IT and raw[k + 2] in {"its", "their"}:
        k += 3  # "the infrastructure that *google runs its services on*": the provider's own services
        return raw[k] in {"service", "services"} and raw[k + 1:k + 2] == ["on"]
    return k + 2 < len(raw) and raw[k] in {"service", "services"} and raw[k + 1] in _SITS_ON and raw[k + 2] == "on"


def names_what_the_service_runs_on(raw: Sequence[str]) -> bool:
    """The question asks about the layer a managed service runs on ("the network infrastructure the service runs
    on"): the provider's, also where a service is named."""
    return any(t in OWN_LAYER_WORDS and _the_service_runs_on(raw, i) for i, t in enumerate(raw))


_OWN_CONTROLS = frozenset("security controls".split())
_OWN_OF_THE_PROVIDER = frozenset({"service", "services", *_OWN_CONTROLS})
_SOFTWARE_LAYER = frozenset("software layer layers stack".split())
_BEHIND = frozenset("behind underlying under underneath beneath".split())


def _behind_provider_services(raw: Sequence[str], i: int) -> bool:
    """The software layer at ``i`` is the one the provider's services run on: "the software layer *behind compute,
    storage, db and networking services*" (with a provider named), "the software *that runs aws cloud services*"; not
    "the software that runs *on* aws" or "the layer behind *our* services" (the customer's)."""
    k = i + 1
    if raw[k:k + 1] in (["that"], ["which"]):
        if not raw[k + 1:k + 2]:
            return False
        if raw[k + 1] not in _RUNS_IT:  # "the software that *aws services run on*"
            return _provider_services_run_on(raw[k + 1:k + 7])
        k += 2
        if raw[k:k + 1] == ["the"]:
            k += 1
        if not raw[k:k + 1] or raw[k] not in PROVIDER_WORDS:
            return False
    elif not raw[k:k + 1] or raw[k] not in _BEHIND:
        return False
    ahead = raw[k + 1:k + 8]
    if {"our", "my", "we", "your"}.intersection(ahead) or not {"service", "services"}.intersection(ahead):
        return False
    return any(w in PROVIDER_WORDS for w in raw)


def _after_provider_services(after: Sequence[str]) -> Sequence[str] | None:
    """The words after "(the) <provider> ... service(s)" when ``after`` opens with the provider's services (its name,
    then "service(s)" within three words), else None."""
    words = after[1:] if after[:1] == ["the"] else after
    if not words or words[0] not in PROVIDER_WORDS:
        return None
    return next((words[j + 1:] for j in range(1, min(4, len(words))) if words[j] in {"service", "services"}), None)


def _provider_services_ahead(after: Sequence[str]) -> bool:
    """ "(underneath) *google cloud services*", "(under) *the aws services*": the provider's services come next."""
    return _after_provider_services(after) is not None


def _provider_services_run_on(after: Sequence[str]) -> bool:
    """ "the software that *aws services run on*", "... that *the google cloud services run on*": what follows
    "that" names the provider's services as what runs on it."""
    rest = _after_provider_services(after)
    return rest is not None and list(rest[:2]) in (["run", "on"], ["runs", "on"])


def names_provider_layer(raw: Sequence[str]) -> bool:
    """The question places the duty on the provider's own infrastructure, platform or hardware."""
    for i, t in enumerate(raw):
        if t in {"service", "services"} and i and raw[i - 1] == "providermanaged" and "our" not in raw:
            # "the software of *aws managed services*" (normalised to "aws providermanaged services"); not "backups
            # of *our* data in aws managed services"
            return True
        if t in _PROVIDERS_PLANT and i >= 2 and raw[i - 1] == "s" and raw[i - 2] in PROVIDER_WORDS:
            return True  # "ddos against *google's edge*", "*aws's backbone*": the provider's own plant
        if t in OWN_LAYER_WORDS and (_under_the_provider(raw, i) or _the_service_runs_on(raw, i)):
            return True
        if (t in OWN_LAYER_WORDS or t in _OWN_OF_THE_PROVIDER) and i >= 2 and raw[i - 1] == "own":  # "google's *own
            # network*", "aws's own backbone", "google cloud's own services", "*aws's own security* tested by auditors"
            owner = raw[i - 3] if raw[i - 2] == "s" and i >= 3 else raw[i - 2]
            if owner == "cloud" and i >= 4 and raw[i - 2] == "s":  # "*google cloud's* own infrastructure"
                owner = raw[i - 4]
            if owner in PROVIDER_WORDS or (owner in {"its", "their", "provider", "providers"} and t not in _OWN_CONTROLS):
                return True  # (not "routing pci data inside *its own security* zone": a zone of the customer's)
        if raw[i + 1:i + 2] == ["itself"] and (
                (t in _LAYER_WORDS | {"service"} and any(w in PROVIDER_WORDS for w in raw[max(0, i - 3):i]))
                or (t == "cloud" and i and raw[i - 1] in PROVIDER_WORDS  # "keeping *google cloud itself* compliant"
                    and not {"our", "my"}.intersection(raw[max(0, i - 4):i]))
                or (t in _LAYER_WORDS | {"suite"} and "the" in raw[max(0, i - 3):i]
                    and any(w in PROVIDER_WORDS or w in CLOUD_MODEL_WORDS for w in raw))):
            return True  # "security incidents in the *google cloud platform itself*", "a vuln in *an aws service
            # itself*", "gcp paas - ... in *the platform itself*", "dr for *the saas suite itself* if a google region
            # goes dark"
        if t == "services" and raw[i + 1:i + 2] == ["themselves"] and i and (raw[i - 1] == "cloud"
                                                                          or raw[i - 1] in PROVIDER_WORDS):
            return True  # "secure development of *the cloud services themselves*", "do *azure services themselves*
            # have dr plans"
        if (t in {"software", "service", "services"} and raw[i + 1:i + 2] in (["itself"], ["themselves"])
                and i and raw[i - 1] in {"platform", "cloud"} and not {"our", "my"}.intersection(raw[max(0, i - 4):i])
                and any(w in PROVIDER_WORDS or w in CLOUD_MODEL_WORDS for w in raw)):
            return True  # "secure development of *the platform software itself*" (google cloud's), "secure sdlc for
            # *the gcp platform services themselves*"
        if (t in OWN_LAYER_WORDS and raw[i + 1:i + 2] in (["that"], ["which"]) and raw[i + 2:i + 3]
                and raw[i + 2] in _RUNS_IT and any(w in PROVIDER_WORDS for w in raw[i + 3:i + 6])
                and not {"our", "my"}.intersection(raw[i + 3:i + 6])):
            return True  # "the network *that runs the aws services*": the provider's own plant
        if t in _SOFTWARE_LAYER and _behind_provider_services(raw, i):
            return True  # "the *software layer behind* compute, storage, db and networking *services*" (aws's), "the
            # *software that runs aws cloud services*"
        if t in {"plane", "planes"} and raw[i - 1:i] == ["control"] and (
                raw[i + 1:i + 2] == ["itself"] or raw[i + 1:i + 3] in (["of", "its"], ["of", "their"])
                or (raw[i + 1:i + 2] == ["of"] and raw[i + 2:i + 3] and raw[i + 2] in PROVIDER_WORDS
                    and {"service", "services"}.intersection(raw[i + 3:i + 6]))):
            return True  # "gcp managed services - who patches *the service control plane itself*", "does google patch
            # *the control planes of its managed services*", "patching *the control planes of gcp managed services*"
        if t in _UNDER and _provider_services_ahead(raw[i + 1:i + 6]):
            return True  # "network components *underneath google cloud services*": what the provider's services sit on
        if t in _LAYER_WORDS | {"layer", "layers"} and raw[i + 1:i + 2] in (["underneath"], ["beneath"]):
            return True  # "the os and platform *layer underneath*" (a service's)
        if t in _LAYER_WORDS and i:
            prev = raw[i - 2] if raw[i - 1] == "s" and i >= 2 else raw[i - 1]
            if prev in _OWNER_WORDS and not (prev in {"its", "their"} and "our" in raw[max(0, i - 4):i]):
                return True
    return False


# the customer's own things named as the place of the duty ("incident response for *our own apps and data*", "security
# incidents *inside our aws accounts*"); "our own" reads "byo" after normalizing
_ASSET_WORDS = frozenset("""app apps application applications data code workload workloads account accounts tenant
tenants subscription subscriptions resources environment environments""".split())
_PLACES_OF_OURS = frozenset("""account accounts tenant tenants subscription subscriptions project projects org organization
workload workloads app apps application applications""".split())


_INSTALLED_THINGS = frozenset("software apps applications packages agents tools programs".split())


def installed_by_us(raw: Sequence[str]) -> bool:
    """The question asks about what the customer installs itself ("the apps and software *we install ourselves*")."""
    return any(t in {"install", "installed"} and i and raw[i - 1] == "we"
               and (raw[i + 1:i + 2] in (["ourselves"], ["ourself"]) or _INSTALLED_THINGS.intersection(raw[max(0, i - 4):i]))
               for i, t in enumerate(raw))


def names_customer_assets(raw: Sequence[str]) -> bool:
    """The question places the duty on the customer's own apps, data or accounts."""
    for i, t in enumerate(raw):
        if t == "byo" and _ASSET_WORDS.intersection(raw[i + 1:i + 3]):  # "our own apps and data"
            return True
        if (t == "our" and i and raw[i - 1] in {"inside", "within", "in", "for"}
                and _PLACES_OF_OURS.intersection(raw[i + 1:i + 3])):
            return True  # "incidents *inside our* aws *accounts*"
        if t == "our" and raw[i + 1:i + 2] in (["apps"], ["applications"]) and "data" in raw[i + 2:i + 5]:
            return True  # "for *our apps and data*"
        if t == "our" and raw[i + 1:i + 3] in (["app", "code"], ["application", "code"]) and "images" in raw[i + 3:i + 6]:
            return True  # "*our app code and container images*"
        if t == "our" and i and raw[i - 1] in _WATCHES and _PLACES_OF_OURS.intersection(raw[i + 1:i + 3]):
            return True  # "who *monitors our workloads*": watching what is ours
        if t in _MADE_BY_US and i >= 2 and raw[i - 1] == "we" and raw[i - 2] in _OURS_BY_MAKING:
            return True  # "incident response for *the apps we deploy*", "ddos defense for *the stuff we run*", "the
            # app code and *data we push* to a gcp platform service"
    return False


_OURS_BY_MAKING = frozenset("apps applications workloads code data services stuff things systems".split())
_WATCHES = frozenset("monitor monitors monitoring watch watches watching".split())
# what a customer does to make a thing its own ("the apps *we deploy*", "the workloads *we run*")
_MADE_BY_US = frozenset("deploy deployed run ran build built write wrote ship shipped host hosted push pushed".split())


_PROVIDER_ACTS = frozenset("take takes handle handles manage manages do does cover covers look looks".split())


def asks_a_duty(raw: Sequence[str]) -> bool:
    """The question has a word about whose job something is ("who", "us", "built in", ...), or has the provider act
    ("does *aws take* care of lambda scaling")."""
    return bool(_DUTY_CUES.intersection(raw)) or _provider_acts(raw)


def _provider_acts(raw: Sequence[str]) -> bool:
    """A provider word followed by a verb of doing ("does *google do* the upgrades", "*aws handles* it")."""
    return any(t in PROVIDER_WORDS and i + 1 < len(raw) and raw[i + 1] in _PROVIDER_ACTS for i, t in enumerate(raw))


_HOW_WE = frozenset("do can could should would".split())


def _without_how_we(raw: Sequence[str]) -> list[str]:
    """The words less a "we" that only asks how ("what's the default concurrency limit and *how do we* raise it"):
    asking how a thing is done is not asking whose job it is."""
    return [t for i, t in enumerate(raw) if not (t == "we" and i >= 2 and raw[i - 1] in _HOW_WE and raw[i - 2] == "how")]


# news of a flaw or an end date is a duty's trigger, not an event ("ecs on fargate - kernel vuln *announced*. do we
# patch the host os")
_NEWS_WORDS = frozenset("announced announcement announcements".split())
_FLAW_WORDS = frozenset("""cve cves vuln vulns vulnerability vulnerabilities kernel exploit zero day patch patches
security deprecation deprecated retirement retired eol""".split())
_CITING = frozenset("per via from".split())


# "our model *demo ui*", "the demo account": a demo workload, not an event
_DEMO_THINGS = frozenset("ui site website env environment account accounts tenant subscription project stack vm vms server".split())


# a recurring sync is a meeting ("the *weekly* data platform *sync*"), unless it is named by what it copies ("the daily
# *directory* sync", "a nightly sync *to* entra")
_RECURRING = frozenset("""weekly daily monthly biweekly fortnightly quarterly monday tuesday wednesday thursday friday
mondays tuesdays wednesdays thursdays fridays""".split())
_SYNCED = frozenset("""directory ad user users password passwords hash identity identities file files data db database
log logs time clock ntp delta full initial entra ldap group groups folder folders onedrive sharepoint repo git dns
key keys secret secrets replica backup backups""".split())


def _a_recurring_sync(raw: Sequence[str]) -> bool:
    return any(t in {"sync", "syncs"} and _RECURRING.intersection(raw[max(0, i - 4):i]) and raw[i - 1] not in _SYNCED
               and raw[i + 1:i + 2] not in (["of"], ["to"], ["from"], ["between"], ["with"], ["job"], ["jobs"])
               for i, t in enumerate(raw))


def _events(raw: Sequence[str]) -> bool:
    if _a_recurring_sync(raw):
        return True
    found = {t for i, t in enumerate(raw) if t in _EVENT_WORDS
             and not (raw[i + 1:i + 2] and (raw[i + 1] in _DEMO_THINGS or raw[i + 1] in _WORKLOAD_NOUNS))}
    if found and found <= _NEWS_WORDS and _FLAW_WORDS.intersection(raw):
        return False
    return bool(found)


def _cited(raw: Sequence[str], i: int) -> bool:
    """The phrase at ``i`` only says where the asker read something ("a rack died *(per status page)*", "according
    to the status page"), not what is asked."""
    k = i - 1 if i and raw[i - 1] != "the" else i - 2
    return k >= 0 and (raw[k] in _CITING or (raw[k] == "to" and k > 0 and raw[k - 1] == "according"))


def _us_or_provider(raw: Sequence[str]) -> bool:
    """The question sets us against the provider ("do *we* pick ... or does *aws* decide") or the service ("does
    netapp files do that *on its own or do we* set a policy")."""
    if not {"we", "us", "our", "ours"}.intersection(raw):
        return False
    return any(t in PROVIDER_WORDS for t in raw) or (
        "automatically" in raw and _EITHER_SIDE.find(raw) is not None)


_EITHER_SIDE = PhraseIndex((tuple(p.split()), True) for p in ("or do we", "or do i", "or is it us", "or us", "or we"))


_CALENDAR_ACTS = frozenset("move moving reschedule rescheduling cancel cancelling send sending forward push update".split())
# (or a day it moves to: "need to move it *to thursday*")
_CALENDAR_THINGS = frozenset("""invite invites meeting meetings sync syncs standup weekly series monday tuesday wednesday
thursday friday""".split())


_VERSION_PHRASES: PhraseIndex = PhraseIndex((tuple(p.split()), True) for p in (
    "driver version", "sdk version", "client library version", "release labels"))
# "do *we have to* move to newer release labels": whether our side must do the upkeep is asked, as "who" asks it
_WE_MUST = PhraseIndex((tuple(p.split()), True) for p in ("we have to", "we need to", "we must"))
_UPKEEP = frozenset("""upgrade upgrades upgrading update updates updating bump bumps bumping patch patches patching
move moves moving""".split())


def logistics(raw: Sequence[str]) -> bool:
    """The words ask to move, send or cancel a meeting ("... *need to move the invite* to thursday"): said after
    a question, they make it one about a meeting, not a duty."""
    return any(t in _CALENDAR_ACTS and _CALENDAR_THINGS.intersection(raw[i + 1:i + 4]) for i, t in enumerate(raw))


_TURNED = frozenset("turn turns turning turned switch switches switching switched enable enables enabling enabled".split())
_ROTA_AFTER = frozenset("schedule schedules policy policies period periods interval intervals window".split())
_ROTATED_THINGS = frozenset("""key keys cmk cmks kek keks secret secrets cert certs certificate certificates password
passwords credential credentials token tokens ksk zsk""".split())


def _on_the_rota(raw: Sequence[str]) -> bool:
    """ "who's *on rotation* this week", "the shared drive cleanup this friday, is it *on the rotation*?": the team's
    rota, not a key's rotation ("is turning *on rotation* on us", "on the rotation schedule", any key named)."""
    if _ROTATED_THINGS.intersection(raw):
        return False
    for i, t in enumerate(raw):
        at = i + 2 if raw[i + 1:i + 2] == ["the"] else i + 1
        if (t == "on" and raw[at:at + 1] in (["rotation"], ["rota"], ["roster"]) and not (i and raw[i - 1] in _TURNED)
                and not _ROTA_AFTER.intersection(raw[at + 1:at + 2])):
            return True
    return False


_STATE_AFTER_STILL = frozenset("by default auto automatic automatically for after when".split())


def _where_it_is_kept(raw: Sequence[str]) -> bool:
    """ "is the shared drive for the team docs *still on gdrive*?", "are the runbooks *still in sharepoint*": where
    something is kept now, a yes/no question with no duty asked (not "is versioning *still on by default*")."""
    if raw[:1] not in (["is"], ["are"]):
        return False
    for i, t in enumerate(raw):
        if t == "still" and raw[i + 1:i + 2] in (["on"], ["in"]):
            tail = raw[i + 2:]
            tail = tail[:tail.index("or")] if "or" in tail else tail
            return 1 <= len(tail) <= 2 and not _STATE_AFTER_STILL.intersection(tail)
    return False


def not_a_duty(raw: Sequence[str]) -> bool:
    """True when the question does not ask who is responsible for a duty: a physical or household sense, an
    event or logistics question, a personal IT request, news, an outage status, tooling snippets, or how-to,
    version and limit trivia with no word about whose job it is."""
    if _PHYSICAL_THINGS.intersection(raw) or _events(raw):
        return True
    if any(not _cited(raw, i) and not (p[0] == "calendar" and _calendar_as_the_suite(raw))  # "dlp for *calendar invites*"
           for i, p in _NOT_A_DUTY_PHRASES.occurrences(raw)):
        return True
    # "which sdk version should we use" is trivia; "who upgrades the beam *sdk version*" asks whose upkeep it is
    if _VERSION_PHRASES.find(raw) is not None and not ((_ASKS_WHOSE.intersection(raw) or _WE_MUST.find(raw) is not None)
                                                       and _UPKEEP.intersection(raw)):
        return True
    if _names_a_document(raw) or _on_the_rota(raw) or _merging_code(raw):
        return True
    if _ASKS_WHOSE.intersection(raw):
        return False
    if _TOOLING_PHRASES.find(raw) is not None or _asks_for_a_file(raw):
        return True
    if (_HOW_MANY.find(raw) is not None and not _us_or_provider(raw) and ASKS_OUR_SIDE.find(raw) is None
            ) or asks_for_material(raw):  # "how many vcpus", "cli syntax to enable ttl"; not "do *we* pick how many
        # days or does *aws* decide", "how many circuits do we need, *is that on us*"
        return True
    if _a_quota(raw):  # "max kms keys per acount? *we* keep hitting some limit": a quota, whoever hits it
        return True
    if _DUTY_CUES.intersection(_without_how_we(raw)):
        return False
    if _HOW_TO.find(raw) is not None or _where_it_is_kept(raw):
        return True
    if _UPKEEP.intersection(raw) and _provider_acts(raw):
        return False  # "auto-upgrade left on (the default) - does google do the node version upgrades?": whose upkeep
    return any(_TRIVIA_ASKS.intersection(raw[max(0, i - 6):i]) and _trivia_noun(t) for i, t in enumerate(raw))


_MERGE_VERBS = frozenset("merge merges merging merged".split())
_CODE_PLACES = frozenset("repo repos repository repositories branch branches pr prs codebase module modules".split())


def _merging_code(raw: Sequence[str]) -> bool:
    """Merging a change into the team's code ("who's responsible for *merging in the infra repo*"): version-control
    logistics, not a duty of the cloud's."""
    return bool(_MERGE_VERBS.intersection(raw)) and bool(_CODE_PLACES.intersection(raw))


# a request to a colleague to put a file somewhere ("can u *drop the drawio* of our transit gw layout in the shared drive")
_ASKING_OPENERS = PhraseIndex((tuple(p.split()), True) for p in (
    "can u", "can you", "could u", "could you", "pls", "please", "plz", "would you"))
_FILE_ACTS = frozenset("drop put upload share send post attach move add".split())
_FILE_NOUNS = frozenset("""drawio diagram diagrams doc docs document documents runbook runbooks slides spreadsheet
screenshot screenshots pdf file files notes writeup csv""".split())


# a place that holds a document ("the shared drive *folder with* the migration notes")
_DOC_PLACES = frozenset("folder folders doc docs document documents page pages sheet spreadsheet deck file".split())


def _names_a_document(raw: Sequence[str]) -> bool:
    """A folder, doc or page named by the notes, diagram or runbook in it ("who owns the shared google drive folder
    *with the aws migration notes*"): an internal document, not a duty."""
    return any(t in _DOC_PLACES and raw[i + 1:i + 2] in (["with"], ["containing"])
               and bool(_FILE_NOUNS.intersection(raw[i + 2:i + 7])) for i, t in enumerate(raw))


def _asks_for_a_file(raw: Sequence[str]) -> bool:
    """The question opens asking a person to drop, send or share a file or diagram (no who-word: said before)."""
    at = next(((i, p) for i, p in _ASKING_OPENERS.occurrences(raw[:3]) if i <= 1), None)  # ("hey can you ...")
    if at is None:
        return False
    rest = raw[at[0] + len(at[1]):]
    return bool(_FILE_ACTS.intersection(rest[:2])) and bool(_FILE_NOUNS.intersection(rest[:6]))


def _a_quota(raw: Sequence[str]) -> bool:
    """A maximum per account, region, project or thing ("max kms keys per account", "max pods per node"), or a
    maximum number or size ("the max *number* of concurrent builds")."""
    return any(t in {"max", "maximum"} and (
        any(raw[j] == "per" and raw[j + 1] not in STOP_WORDS for j in range(i + 1, min(i + 6, len(raw) - 1)))
        or any(_trivia_noun(w) for w in raw[i + 1:i + 3])) for i, t in enumerate(raw))


def _trivia_noun(word: str) -> bool:
    """A limit or size noun, also typed with a letter left out or changed ("max *numbr* of vnets")."""
    return word in _TRIVIA_NOUNS or (len(word) >= 5 and any(
        fuzz.ratio(word, n) >= 85 and word[0] == n[0] for n in _TRIVIA_NOUNS if len(n) >= 5))


# a certification exam's code ("is the *az-104* cert worth it", "saa-c03 or clf-c02 first"): a career question
_EXAM_SERIES = frozenset("az sc ms dp ai pl md mb saa sap soa dva scs ans clf mls dop".split())
_EXAM_NUMBER = re.compile(r"^(?:\d{3}|c0\d)$")


def _names_an_exam(raw: Sequence[str]) -> bool:
    return any(t in _EXAM_SERIES and _EXAM_NUMBER.match(raw[i + 1]) for i, t in enumerate(raw[:-1]))


def _chooses_a_cert(raw: Sequence[str]) -> bool:
    """ "az-500 or sc-200 first, *who is responsible for picking certs* lol": the whose-question beside an exam's code
    is about choosing a certification, still a career question."""
    return any(t in CHOOSING and _CERT_WORDS.intersection(raw[i + 1:i + 4]) for i, t in enumerate(raw))


_EMPLOYMENT = frozenset({"job", "jobs"})


def _job_as_employment(raw: Sequence[str]) -> set[str]:
    """ "if i want *a cloud networking job*": a job had or wanted, not whose job a duty is."""
    return {t for i, t in enumerate(raw)
            if t in _EMPLOYMENT and {"a", "an", "new", "first"}.intersection(raw[max(0, i - 4):i])}


# what a connection negotiates: "the lb still *negotiates* tls 1.0" is a protocol, not a contract
_NEGOTIATE = frozenset(stem(w) for w in "negotiate negotiates negotiating negotiation".split())
_PROTOCOL_WORDS = frozenset("tls ssl mtls cipher ciphers protocol protocols handshake https".split())


def _negotiates_a_protocol(raw: Sequence[str], i: int) -> bool:
    return stem(raw[i]) in _NEGOTIATE and bool(_PROTOCOL_WORDS.intersection(raw))


# the company's devices that stand in the office: "guest mode on the shared *chromebooks in the office*"
_OFFICE_DEVICES = frozenset("""chromebooks chromebook devices device laptops laptop kiosks kiosk computers pcs desktops
machines endpoints""".split())


def _devices_in_the_office(raw: Sequence[str], i: int, phrase: tuple[str, ...]) -> bool:
    return phrase[1:] == ("the", "office") and i > 0 and raw[i - 1] in _OFFICE_DEVICES


# what a provider's recommended values are for ("when *the recommended settings* change, who updates the policy")
_RECOMMENDED_THINGS = frozenset("""settings setting policies policy baseline baselines configuration configurations config
values rules controls version versions""".split())


def _recommended_settings(raw: Sequence[str], i: int) -> bool:
    """ "Recommended" before settings or policies describes them (a preset's values), it asks for no advice."""
    return raw[i] == "recommended" and raw[i + 1:i + 2] != [] and raw[i + 1] in _RECOMMENDED_THINGS


_SAVING = frozenset("save saving cut cutting reduce reducing lower lowering".split())


def _to_save_costs(raw: Sequence[str], i: int) -> bool:
    """Cost as why something was done ("we stopped our postgres server *to save cost*, does it still get patches"): a
    purpose told around the duty, not a billing question."""
    return (raw[i] in {"cost", "costs"} and i >= 2 and raw[i - 1] in _SAVING and raw[i - 2] in {"to", "for", "by"}
            and bool(_ASKS_WHOSE.intersection(raw) or ASKS_OUR_SIDE.find(raw) is not None))


def out_of_scope(raw: Sequence[str], content: Iterable[str]) -> bool:
    """True when the question is about a topic the matrix does not cover (see module doc)."""
    if _names_an_exam(raw) and (not (_ASKS_WHOSE.intersection(raw) - _job_as_employment(raw)) or _chooses_a_cert(raw)):
        return True
    words = _OUT_OF_SCOPE_WORDS.intersection(content) | _typed_out_of_scope(raw)
    if words:  # "ddos *cost protection*" names a feature, not a bill
        words = words - {stem(w) for _, p in _FEATURE_NAMES.occurrences(raw) for w in p}
    if words and _calendar_as_the_suite(raw):  # "*dlp* for *calendar* events"
        words = words - {stem("calendar")}
    if words:  # a listed word used for something else: the name of the customer's workload ("the *billing* db", "a
        # table for *orders*"), a duty ("do we get *paged to* swap it", "whose problem is the *ibm license*"), a symptom
        # ("its manual snapshots are *still billing* - does aws clean those up?"), a protocol ("the lb still
        # *negotiates tls 1.0*"), a mail a filter caught ("legit *invoice got quarantined*")
        words = words - {stem(raw[i]) for i in range(len(raw)) if any(
            read(raw, i) for read in (_names_a_workload, _word_of_a_duty, _still_costing, _negotiates_a_protocol,
                                      _mail_caught_by_a_filter, _a_mailbox_quota, _a_licence_held,
                                      _quota_for_growth, _recommended_settings, _pays_attention, _to_save_costs))}
    if words and words <= _PAY_STEMS and not_a_purchase(raw):
        words = frozenset()
    if words or not_a_duty(raw):
        return True
    if any(_raw_word_out_of_scope(raw, i) for i in range(len(raw))
           if not (raw[i] in _PAY and not_a_purchase(raw)) and not _names_a_workload(raw, i)):
        return True
    if any(not _per_user_access(raw, i, p) and not _on_call_as_a_side(raw, i, p) and not _in_a_purpose(raw, i)
           and not _during_a_case(raw, i, p) and not _devices_in_the_office(raw, i, p) and not _an_edition(raw, i, p)
           for i, p in _OUT_OF_SCOPE_PHRASES.occurrences(raw)):
        return True
    if _history(raw) or _picks_a_cert(raw):
        return True
    return any(_asks_a_price(raw, i) for i in range(len(raw) - 2))


# ("cert" is normalized to "certificate")
_CERT_WORDS = frozenset("certificate certificates certification certifications exam exams".split())
_ORDER_WORDS = frozenset("first next worth".split())
# the roles certifications are named after ("data *engineer* cert", "database *specialty*"), not a TLS certificate's
_CERT_ROLES = frozenset("""engineer architect specialty associate professional practitioner administrator developer analyst
sysops devops""".split())


def _picks_a_cert(raw: Sequence[str]) -> bool:
    """A person choosing which certification to take ("shud *i* do the data engineer *cert* or the database specialty
    one *first*?"): a career question, unless it also asks whose duty something is."""
    if (_CERT_WORDS.intersection(raw) and _CAREER_WORDS.intersection(raw)
            and (_ADVICE_WORDS.intersection(raw) or "i" in raw) and not _ASKS_WHOSE.intersection(raw)):
        return True  # "is it *worth* getting a security *cert* to move from *helpdesk* into a cloud *role*", "should *i*
        # do a cloud security *cert* or a *masters degree*"
    return ("i" in raw and bool(_CERT_WORDS.intersection(raw)) and bool(_ORDER_WORDS.intersection(raw))
            and bool(_CERT_ROLES.intersection(raw)) and not _ASKS_WHOSE.intersection(raw))


_CAREER_WORDS = frozenset("career careers helpdesk role roles job jobs degree masters course courses".split())
_ADVICE_WORDS = frozenset("worth advice advise recommend recommended".split())


_LAUNCH_WORDS = frozenset("launch launched launching founded invented introduced released debuted".split())
_YEAR = re.compile(r"^(?:19[89]\d|20[0-2]\d)$")
_NAMING = frozenset("naming named name coined coining".split())
_MAKERS = frozenset("creator creators inventor inventors".split())
_MADE = frozenset("created invented designed".split())


def _history(raw: Sequence[str]) -> bool:
    """A question about a launch in a past year, asked in the past ("who *was* responsible for *launching* s3 *back in
    2006*"): history."""
    past = {"was", "were", "did"}.intersection(raw)
    if past and any(t in _NAMING and raw[i + 1:i + 2] and (raw[i + 1] in PRODUCT_NAMES or raw[i + 1] in PROVIDER_WORDS
                                                           or raw[i + 1] in {"it", "this", "that"})
                    for i, t in enumerate(raw)):
        # "who was responsable for *naming kubernetes* anyway", "who was resposible for *naming it* 'simple storage
        # service'": where a product's name came from
        return True
    if any(raw[i + 1:i + 2] and (t in _MAKERS and raw[i + 1] == "of" and raw[i + 2:i + 3] and raw[i + 2] in PRODUCT_NAMES
                                 or t in _MADE and i and raw[i - 1] == "who" and raw[i + 1] in PRODUCT_NAMES)
           for i, t in enumerate(raw)):
        return True  # "whos the original *creator of kubernetes*", "who *created kafka*": where a product came from
    if ({"first", "originally", "original"}.intersection(raw) and ("invented" in raw or any(
            raw[i:i + 3] == ["came", "up", "with"] for i in range(len(raw))))):
        return True  # "was gke the *first* managed kubernetes service, who *came up with* it": who invented a product
    if not (_LAUNCH_WORDS.intersection(raw) and past):
        return False
    # "did google launch app engine*, 2008*?": a year after "did ... launch" is history too
    return any(_YEAR.match(t) and i and (raw[i - 1] in {"in", "back", "since"} or "did" in raw[:i])
               for i, t in enumerate(raw))


# "*per-user* filtering", "per user access": who sees what, not a price per user
_ACCESS_NOUNS = frozenset("filtering filter filters access permissions permission security trimming authorization".split())


def _on_call_as_a_side(raw: Sequence[str], i: int, phrase: tuple[str, ...]) -> bool:
    """ "replacing it - *our on-call or aws*?", "does aws promote a replica *or is that on our on-call*": our on-call
    engineers named as the side, not the rota asked about."""
    if phrase not in (("on", "call"), ("oncall",)) or not i or raw[i - 1] not in {"our", "the"}:
        return False
    end = i + len(phrase)
    return raw[end:end + 1] == ["or"] or "or" in raw[max(0, i - 5):i - 1]


def _per_user_access(raw: Sequence[str], i: int, phrase: tuple[str, ...]) -> bool:
    return phrase == ("per", "user") and raw[i + 2:i + 3] != [] and raw[i + 2] in _ACCESS_NOUNS


_WORKLOAD_NOUNS = frozenset("""db dbs database databases table tables bucket buckets app apps service services cluster
clusters system systems api apis queue queues topic topics stream streams pipeline pipelines function functions
data files records folders documents""".split())  # ("shares with *payroll data*")


def _names_a_workload(raw: Sequence[str], i: int) -> bool:
    """The word at ``i`` names a workload of the customer's: before a resource noun ("the *billing* db"), after one
    and "for" ("a table for *orders*"), or right after a singular one as its name ("sqs queue *orders*-legacy")."""
    return (i + 1 < len(raw) and raw[i + 1] in _WORKLOAD_NOUNS) or (
        i >= 2 and raw[i - 1] == "for" and raw[i - 2] in _WORKLOAD_NOUNS) or (
        i >= 1 and raw[i - 1] in _WORKLOAD_NOUNS and not raw[i - 1].endswith("s"))  # "queue *orders*-legacy"


_COSTING = frozenset("billing billed costing charging charged".split())
_FILTERED = frozenset("quarantined quarantine spam junk phish phishing malware flagged blocked".split())


def _mail_caught_by_a_filter(raw: Sequence[str], i: int) -> bool:
    """An invoice named as the mail a filter caught ("legit *invoice got quarantined as malware*"): a message, not a
    bill."""
    return raw[i] in {"invoice", "invoices"} and bool(_FILTERED.intersection(raw[i + 1:i + 5]))


_MAILBOX_WORDS = frozenset("mailbox mailboxes recoverable archive".split())


def _a_mailbox_quota(raw: Sequence[str], i: int) -> bool:
    """A mailbox's storage quota ("about to fill up recoverable items, do we need to bump *the quota*"): a limit of the
    data held, which the service may raise itself, not a service quota to request."""
    return raw[i] in {"quota", "quotas"} and bool(_MAILBOX_WORDS.intersection(raw))


_QUOTA_RAISED = frozenset("approved approval raised raise increased increase bumped bump".split())


def _quota_for_growth(raw: Sequence[str], i: int) -> bool:
    """A storage quota to get approved or raised before growth or an upgrade ("alloydb cluster will need way more
    storage for an upcoming upgrade, whose job is getting *the quota approved*", "... the storage quota *bumped* before
    the next big maintenance"): the capacity planning duty, not a limits question."""
    return (raw[i] in {"quota", "quotas"} and "storage" in raw and bool(_QUOTA_RAISED.intersection(raw))
            and bool({"upgrade", "upgrades", "growth", "maintenance"}.intersection(raw)))


def _a_licence_held(raw: Sequence[str], i: int) -> bool:
    """A licence a user already holds, told as the state the question starts from ("once a user *has a windows 365
    license* and is in the provisioning policy group, who builds the cloud pc", "we *got p1 licenses* and want conditional
    access - who switches security defaults off"), or taken away as the event a duty follows ("we *removed* a guy's
    windows 365 license, who wipes the cloud pc"), not a licensing question."""
    if raw[i] not in {"license", "licence", "licenses", "licences"} or "who" not in raw[i + 1:]:
        return False
    return bool(_HELD_OR_PULLED.intersection(raw[max(0, i - 7):i]) or _PULLED.intersection(raw[i + 1:i + 3]))


# a licence held, or taken away as the event a duty follows ("we *removed* a guy's windows 365 license, who wipes the
# cloud pc", "after the license *expires*, who deletes the mailbox")
_PULLED = frozenset("removed unassigned revoked pulled expired expires lapsed lapses cancelled canceled".split())
_HELD_OR_PULLED = frozenset({"has", "have", "had", "got", "gotten", "bought", "remove", "unassign", "revoke", *_PULLED})


def _still_costing(raw: Sequence[str], i: int) -> bool:
    """The word at ``i`` says a resource still runs up a bill ("snapshots are *still billing*", "still being
    *charged*"), asked beside a duty about it."""
    return raw[i] in _COSTING and "still" in raw[max(0, i - 3):i] and bool(_ASKS_WHOSE.intersection(raw) or "does" in raw)


_VERBS_OF_AMOUNT = frozenset({"is", "are", "does", "do", "did", "would", "will"})


def _asks_a_price(toks: Sequence[str], i: int) -> bool:
    """ "how much is/does/would ..." asks a price or an amount, unless it asks how much is *on us* or
    *of* a duty."""
    if tuple(toks[i:i + 2]) != ("how", "much"):
        return False
    # "how much is ...", or "how much storage/space do we get": one or two words of what, then the verb
    at = next((k for k in range(i + 2, min(i + 5, len(toks))) if toks[k] in _VERBS_OF_AMOUNT), None)
    if at is None or (at > i + 2 and _ASKS_WHOSE.intersection(toks)):  # "how much downtime ..., who handles it"
        return False
    return not {"on", "of", "ours", "theirs", "responsible", "responsibility"}.intersection(toks[at + 1:at + 5])


# a provider's software, not its cloud ("the *microsoft sql* engine", "*microsoft patches*", "*google chrome*")
_VENDOR_SOFTWARE = frozenset("""sql windows exchange office sharepoint active ad patches patch updates update server
linux chrome android""".split())


def vendor_words(raw: Sequence[str]) -> frozenset[int]:
    """Positions of provider words used as the maker of software the question names ("who patches the *microsoft*
    sql engine on rds", "*microsoft* security baselines on the managed ad dcs")."""
    return frozenset(i for i, t in enumerate(raw) if t in PROVIDER_WORDS and i + 1 < len(raw) and (
        raw[i + 1] in _VENDOR_SOFTWARE or (raw[i + 1] == "security" and raw[i + 2:i + 3] in (["baseline"], ["baselines"]))))
