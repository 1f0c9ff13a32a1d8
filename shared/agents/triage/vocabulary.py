"""The words triage weighs: per category, regular expressions with a weight, plus intents and spelling.

- ``TERMS``: category -> [(pattern, weight)]; a pattern counts once per question however often
  it occurs. Patterns are matched on the lowered question with whole-word edges.
- ``OFF_TOPIC``: subjects the product does not answer (weather, jokes, recipes ...), weighed for
  ``out_of_scope``.
- ``INTENTS``: category -> [(pattern, intent)] tried in order, then ``DEFAULT_INTENT``.
- ``LEXICON``: words worth correcting a typo towards ("lantency" -> "latency"); ``NOT_TYPOS`` are
  real words one letter away from them that must stay as written.
A few words in Spanish, French, German and Portuguese are included for the core notions
(cost, spend, save, cache, latency) because teams write in their own language.
"""
from __future__ import annotations

import re

CATEGORIES = ("spend_breakdown", "cost_optimization", "performance", "model_selection", "caching",
              "batching", "usage_trends", "help", "out_of_scope")

_MONEY = r"(?:money|spend\w*|spent|costs?|costing|bill\w*|budget|dollars|cash|\$+|expenses?|charges?)"

TERMS: dict[str, list[tuple[str, float]]] = {
    "spend_breakdown": [
        (r"break\s*downs?|broken down|breakdowns?", 3),
        (rf"where\b[^.?!]{{0,40}}\b{_MONEY}[^.?!]{{0,25}}\b(?:go|goes|going|went)", 3),
        (r"how much\b[^.?!]{0,40}\b(?:spen[dt]|spending|pay|paid|cost|costs|costing|charged|burn\w*|owe)", 2.5),
        (r"how much (?:money|\$)|dollar amounts?|price tag|(?:are|am|were) (?:we|i) paying|paying (?:for|per|on)|"
         r"what (?:does|did|do) \w+(?: \w+)? cost|cost of (?:the|each|our|every|modelref|featureref)|"
         r"billed|charged|expenditure|outlay|the damage|rundown|tally|costs? per (?:request|call|user|query)", 2.5),
        (rf"{_MONEY}\s+(?:by|per|for each|across|broken|split|grouped|among|between)\b(?! (?:the )?end\b)", 2.5),
        (r"(?:by|per|each|across|for every|for each)\s+(?:model|feature|provider|team|endpoint|customer|user|"
         r"project|vendor|product(?: line)?|api key|key|environment|app|service|department|tenant)s?|"
         r"(?:each|every) (?:model|feature|provider|team|endpoint|customer|user|project|product)", 1.5),
        (r"(?:most|least) expensive|costliest|priciest|biggest\s+(?:cost|spend|expense|line)\w*|"
         r"top\s+(?:\d+\s+)?(?:spend|cost|spender|driver|model|feature|provider)\w*|cost drivers?|"
         r"(?:spending|spend) the most|costs? the most|costing the most|most (?:money|spend)", 2.5),
        (r"(?:total|overall|entire|whole|full)\s+(?:llm\s+|ai\s+|token\s+)?(?:spend|spending|cost|costs|bill|usage|tokens)", 2),
        (r"chargeback|showback|what'?s in it|(?:cost|spend|bill|dollars?)\s+(?:table|report|summary|numbers)", 1.5),
        (r"how many tokens|token usage|tokens? (?:used|consumed|count)|how many (?:requests|calls)|"
         r"(?:burn|use|consume|eat)s? (?:the )?most (?:tokens|money|budget)", 1.5),
        (r"tokens?|usage|requests|api calls|llms?|ai", 0.5),
        (r"invoice|bill|spend|spent|spending|cost|costs|costing|money|dollars|usd|expenses?|\$+|"
         r"gasto\w*|gastamos|gastado|coste?s?|costos?|co[uû]ts?|d[ée]pens\w*|kosten|ausgaben|custos?|custou", 1),
    ],
    "cost_optimization": [
        (r"sav(?:e|es|ed|ing|ings)|ahorr\w*|[ée]conomis\w*|[ée]conomi[sz]\w*|sparen|einsparen|economizar", 2.5),
        (r"reduc\w*|cut|cutting|lower(?:ing)?|decreas\w*|trim\w*|slash\w*|shrink\w*|minimi[sz]\w*|"
         r"bring\w* (?:it |them |this |that )?down|drive\w* down|shave\w*|curb\w*|rein in|tame|"
         r"optimi[sz]\w*|senken|reducir|r[ée]duire|diminu\w*|baixar|optimier\w*", 2),
        (r"spend less|pay less|cheaper way|(?:cost|money)[- ]?(?:effective|efficient|saving)|efficien\w*|"
         r"(?:lower|reduce|cut|shrink|trim)\s+(?:the |our |my )?(?:[\w-]+ )?(?:bill|spend|costs?|expenses?)", 2),
        (r"too (?:expensive|costly|much|high)|overspend\w*|over budget|wast\w*|burn\w* (?:money|cash|through)|"
         r"bleed\w*|out of control|expensive|pricey|costly|inefficien\w*", 1.5),
        (r"budget\w*|cap|ceiling|afford\w*|cheap\w*", 1.5),
        (r"overpa(?:y|ying|id)|money on the table|(?:bill|spend|costs?|expenses?) down|cost[- ]cutting|"
         r"killing us|get (?:the |our |it )?\w* ?(?:bill|spend|costs?) (?:down|lower)", 2.5),
        (r"opportunit\w*|quick wins?|low[- ]hanging|levers?|roi|smarter|leaner|frugal|(?:cost|spend)[- ]conscious|"
         r"without (?:losing|hurting|sacrificing|users noticing)|get more (?:for|out of)|value for money", 1.5),
    ],
    "performance": [
        (r"latenc\w*|latencia|latence|latenz|slow\w*|fast(?:er|est)?(?! ways?\b)|speed\w*|response times?|"
         r"time to first token|ttft|p50|p75|p90|p95|p99|percentiles?|lag\w*|sluggish|take longer|"
         r"takes? (?:so |too )?long|how long|seconds|milliseconds|ms|snappy|responsive\w*|tail latency|durations?|"
         r"wait(?:ing)? (?:time|for (?:a |the )?(?:response|answer|completion)s?)", 3),
        (r"error\w*|fail\w*|5\d\d|429s?|rate[- ]limit\w*|throttl\w*|retr(?:y|ies|ied)|outages?|"
         r"downtime|reliab\w*|uptime|success rates?|status codes?|timeouts?|timing out|timed out|"
         r"hang\w*|stuck|flaky|crash\w*", 3),
        (r"throughput|tokens? per second|tok/s|requests per (?:second|minute)|rps|rpm|tpm|concurren\w*|"
         r"performance|perf|benchmark\w*", 2.5),
    ],
    "model_selection": [
        (r"which (?:model|llm)s? (?:should|to|would|is best|is better|fits|do you recommend|for)|"
         r"what (?:model|llm)s? (?:should|would|to)|(?:best|right|better|ideal|cheapest|smallest) (?:model|llm)s?|"
         r"(?:cheaper|smaller|lighter|weaker|different|other|mini|nano|small|tiny|lite|flash|premium|open[- ]source) "
         r"(?:model|llm|alternative|option|one)s?|"
         r"(?:model|llm)s? (?:would you|do you|to) (?:pick|choose|use|recommend)|pick (?:a|the)? ?model|"
         r"smart enough|good enough (?:for|to)|as good as|better value|(?:cheaper|smaller|better|worse) than modelref|"
         r"(?:instead of|replace|swap|switch\w*(?: from)?|migrat\w*(?: from)?|move \w+ (?:from|to)) modelref|"
         r"modelref (?:or|vs\.?|versus) modelref|(?:good|right|best|better) (?:fit|choice|option)|suit(?:ed|able)|"
         r"worth (?:switching|moving|migrating)|(?:try|test|trial|adopt|evaluate|use) modelref|"
         r"bang for (?:the|your|our) buck", 3),
        (r"which (?:\w+ )?(?:model|llm)s?", 2),
        (r"deprecat\w*|retir\w*|sunset\w*|end of life|eol|successors?|legacy|outdated|obsolete|newer model|"
         r"latest model", 3),
        (r"rout\w*|cascad\w*|fallback model|model mix|tiers?|overus\w*|overkill", 2.5),
        (r"pric(?:e|es|ing) (?:of|for|per)|per (?:million|1m|1k|thousand) tokens|price per|rate card|"
         r"costs? per (?:million|1m|token)", 2),
        (r"(?:model|llm)s?", 0.5),
    ],
    "caching": [
        (r"cach\w*|cache[ds]?|cach[ée]|memoi[sz]\w*|kv[- ]cache", 4),
        (r"duplicat\w*|exact (?:same|repeats?|matches|copies)|repeats", 3),
        (r"(?:repeat\w*|duplicat\w*|identical|same|redundant|similar)\s+(?:\w+\s+)?(?:prompts?|requests?|"
         r"quer(?:y|ies)|questions?|calls?|inputs?|messages?|system prompts?|context|things?|stuff|answers?|responses?)|"
         r"re-?send\w*|re-?ask\w*|ask(?:ed|ing)? again|send(?:s|ing)? again|breakpoints?|"
         r"dedup\w*|re-?us\w*|over and over|again and again|prefix\w*|hit (?:rate|ratio)s?(?! limit)|ttl|"
         r"(?:store|keep|remember|reuse)\w* (?:the |their |those )?(?:answers|responses|results|outputs|completions)", 3),
    ],
    "batching": [
        (r"batch\w*|lotes?|stapel\w*", 4),
        (r"async\w*|asynchronous\w*|offline|overnight|nightly|background (?:jobs?|tasks?|processing)|bulk|"
         r"non[- ]?urgent|not urgent|queue\w*|scheduled|cron\w*|etl|backfill\w*|(?:send|run|process)\w* "
         r"(?:them |it |those |these )?later|24[- ]?h(?:our)? window", 2.5),
        (r"latency[- ]tolerant|tolera\w*\b[^.?!]{0,20}\b(?:latency|delays?|wait\w*)|"
         r"(?:isn'?t|not|aren'?t|don'?t need(?: to be)?|doesn'?t need(?: to be)?) (?:time[- ]sensitive|"
         r"real[- ]?time|urgent|instant\w*|immediate\w*|interactive)|non[- ]interactive|can wait|discount\w*|"
         r"delay(?:ed)? (?:processing|jobs?|requests?|work)|defer\w*|off[- ]peak", 3.5),
    ],
    "usage_trends": [
        (r"trend\w*|tendenc\w*|over time|growth|grow\w*|ris(?:e|es|ing|en)|went up|gone up|go up|going up|"
         r"went down|gone down|dropp?(?:ed|ing)|spik\w*|jump\w*|surg\w*|climb\w*|doubl\w*|tripl\w*|"
         r"trajectory|momentum|accelerat\w*|creep\w*|through the roof|skyrocket\w*|explod\w*|balloon\w*|"
         r"what happened|flat|steady|stable|plateau\w*|up or down|busier|quieter|curve|evolv\w*|"
         r"(?:week|month|day|year|quarter) before|(?:the )?previous (?:week|month|day|year|quarter)", 3),
        (r"increas\w*|decreas\w*|higher than|lower than|more than last|less than last|(?:than|as) expected", 1.5),
        (r"(?:week|month|day|year|quarter)[- ]over[- ](?:week|month|day|year|quarter)|yoy|qoq|m-o-m|w-o-w|"
         r"(?:mom|wow) (?:growth|change|increase|decrease|numbers|trend)|"
         r"(?:compared?|comparison) (?:to|with|against) (?:last|the previous|previous|prior|the prior)|"
         r"(?:vs\.?|versus|than|against) (?:last|the previous|previous|prior)|what changed|"
         r"compar\w*[^.?!]{0,30}\b(?:to|with|against|and|vs\.?) (?:the )?(?:last|previous|prior|weekends?|weekdays?|"
         r"nights?|mornings?)", 3),
        (r"forecast\w*|projection\w*|projected|project (?:our|my|the)|predict\w*|run[- ]rate|on track|"
         r"extrapolat\w*|at (?:this|the current|our current|current) (?:pace|rate)|"
         r"(?:by|at) (?:the )?end of (?:the )?(?:month|year|quarter)|"
         r"estimate (?:our|the) (?:spend|cost|bill)|will\b[^.?!]{0,30}\b(?:cost|spend|be billed|pay|look)|"
         r"(?:going to|gonna|will|about to) (?:blow|exceed|go over|run out|overshoot|hit)|on pace", 3),
        (r"next (?:month|quarter|year|week)", 2),
        (r"daily|weekly|hourly|by day|each day|every day|day[- ]by[- ]day|by hour|per hour|peak\w*|busiest|"
         r"day of (?:the )?week|hour of (?:the )?day|volume|"
         r"seasonal\w*|patterns?|time of day|weekends?|weekdays?|history|historical|timeline|time series|"
         r"chart|graph|plot", 2),
        (r"monthly|by month|month[- ]by[- ]month|week[- ]by[- ]week", 1),
        (r"anomal\w*|outliers?|sudden\w*", 2.5),
    ],
    "help": [
        (r"^\W*(?:help|menu|commands?|usage|\?+|h[ae]lp)\W*$", 6),
        (r"what (?:can|could|do) you (?:do|help|offer)|what (?:are you|is this)|who are you|what is tokenwise|"
         r"what'?s tokenwise|how (?:does|do) (?:this|tokenwise|it|you) work|get(?:ting)? started|"
         r"capabilit(?:y|ies)|what (?:kinds? of |sorts? of )?questions|examples? (?:of )?questions|"
         r"example (?:prompts|queries)|some examples|instructions|tutorial|documentation|docs|onboard\w*|"
         r"what (?:are you|you'?re) able|what data do you need|what do you need from me|about yourself|"
         r"(?:file )?formats? (?:do you|are) support\w*|supported (?:formats?|files?)|this (?:tool|app|assistant|bot)|"
         r"walk me through|new here|first time|what (?:should|can|do) i (?:ask|do|try)|where do i (?:start|begin)|"
         r"what (?:can|could) you (?:tell|show|answer)|what (?:you|u) can (?:do|tell|answer|show)|"
         r"what (?:questions|things) (?:do|can) you|what are you for|"
         r"(?:which|what) (?:file |export |data )?formats?|formats? (?:can|do) (?:i|you)|how to use (?:this|you|it)|"
         r"your (?:features|capabilities|abilities)|what (?:info|information|data) do you (?:have|keep|store)|"
         r"what do you know about (?:me|us)|(?:do|can) you (?:accept|take|read|handle|support) (?:\w+ )?"
         r"(?:files?|csv|jsonl|ndjson|uploads?|exports?|logs?)", 5),
        (r"how (?:do|can|should) i (?:import|upload|load|add|connect|send|bring|feed|get)\b"
         r"[^.?!]{0,30}\b(?:data|logs?|records?|usage|csv|jsonl|files?|export|in)|"
         r"(?:import|upload|load|ingest)\w*\b[^.?!]{0,30}\b(?:data|logs?|records?|usage|csv|jsonl|files?|exports?)|"
         r"litellm logs?|"
         r"how (?:do|can) i use (?:this|tokenwise|you|it)", 4),
        (r"^\W*(?:hi|hello|hey|heya|yo|hiya|howdy|greetings|good (?:morning|afternoon|evening)|hola|bonjour|"
         r"hallo|ciao)\b(?:\s+there)?\W*$", 4),
        (r"^\W*(?:hi|hello|hey|hiya|howdy|greetings|hola|bonjour|hallo)\b", 1),
    ],
}

# Words that sharpen a question already about LLM usage but do not make one: they count only when
# a TERMS pattern matched or the question names a model, provider, feature or target.
SUPPORTING: dict[str, list[tuple[str, float]]] = {
    "spend_breakdown": [
        (r"share of|percent(?:age)? of|portion of|fraction of|split|distribution|allocat\w*|attribut\w*", 1.5),
        (r"summary|summari[sz]e|overview|report|dashboard|list (?:the|our|all)|itemi[sz]\w*|numbers|table", 1),
    ],
    "cost_optimization": [
        (r"recommend\w*|suggest\w*|advice|advise|tips?|ideas?|what (?:should|can|could) (?:we|i) do|plan|"
         r"strateg\w*|insane|crazy|concrete ways?|ways to", 1.5),
    ],
    "model_selection": [
        (r"alternatives?|instead of|switch\w*|migrat\w*|replac\w*|swap\w*|downgrad\w*|upgrad\w*|"
         r"mov(?:e|ed|ing) (?:everything |it |them |traffic )?(?:to|from|off)|choose|choosing|pick", 3),
        (r"compar\w*|vs\.?|versus|better than|worse than|head to head|trade-?offs?|quality|capable|accura\w*", 2),
    ],
    "usage_trends": [
        (r"over the (?:last|past)|since|lately|recently", 1),
        (r"unusual\w*|weird|strange|odd|unexpected\w*", 2.5),
        (r"chang(?:e|ed|es|ing)", 3),
    ],
}

OFF_TOPIC: list[tuple[str, float]] = [
    (r"weather|rain\w*|snow\w*|temperature|sunny|umbrella|jokes?|funny|poems?|poetry|limerick|lyrics|"
     r"song|sing|recipes?|cook\w*|bake|baking|pizza|lasagna|dinner|lunch|breakfast|restaurants?|movies?|"
     r"films?|netflix|tv show|football|soccer|basketball|nba|nfl|world cup|who won|match score|"
     r"stock price|stocks?|bitcoin|crypto\w*|ethereum|capital of|population|president|prime minister|"
     r"elections?|politics|translat\w*|homework|essay|flights?|hotels?|vacation|holiday|horoscope|zodiac|"
     r"dating|girlfriend|boyfriend|meaning of life|chess|game|wifi|printer|landlord|heating|"
     r"tall|height|cat|dog|pet|books?|novels?|quelle heure|what time is it|times \d+|\d+\s*[x*]\s*\d+", 3),
    (r"gifts?|shopping|groceries|order me|trip|travel\w*|mountains?|rivers?|fun fact|trivia|define|definition|"
     r"beatles|band|music|celebrit\w*|workouts?|diet|doctor|medical|visa|passport|laptop|phone|car|mortgage|"
     r"rent|apartment|wedding|birthday", 3),
    (r"history of|summari[sz]e (?:this|the following|my|an?) (?:article|text|document|email|pdf|paper|book|page|"
     r"story|thread|meeting)|explain (?:quantum|relativity|photosynthesis)|write (?:me )?(?:a |an |some )?(?:sql|query|regex)|"
     r"how'?s (?:your|it) (?:day|going)|how are you", 3),
    (r"write (?:me )?(?:a|an|some)? ?(?:python|javascript|java|code|function|script|program|email|letter|"
     r"story|essay|poem|song|cover letter)|draft (?:an? )?(?:email|letter|message)|book (?:me )?(?:a|an)", 3),
]

INTENTS: dict[str, list[tuple[str, str]]] = {
    "spend_breakdown": [
        (r"most expensive|costliest|biggest|top|drivers?|the most", "find_top_cost_drivers"),
        (r"how many tokens|token usage|tokens? (?:used|consumed)", "count_tokens"),
    ],
    "cost_optimization": [
        (r"budget|under \$|below \$|within|cap\b", "meet_budget"),
        (r"\d+\s*(?:%|percent)|in half|halve", "reach_savings_target"),
    ],
    "performance": [
        (r"errors?|fail\w*|429|rate[- ]limit\w*|timeouts?|timing out|timed out|retr\w*|reliab\w*|success rate",
         "diagnose_errors"),
        (r"throughput|tokens? per second|rps|rpm|tpm", "measure_throughput"),
    ],
    "model_selection": [
        (r"deprecat\w*|retir\w*|sunset\w*|successors?|outdated|obsolete|legacy|end of life", "replace_deprecated_models"),
        (r"compar\w*|vs\.?|versus|better than|head to head|better value", "compare_models"),
        (r"pric(?:e|es|ing)|per million", "compare_prices"),
        (r"rout\w*|cascad\w*|tiers?", "route_by_difficulty"),
    ],
    "caching": [(r"prompt cach\w*|prefix|system prompt|cached tokens", "evaluate_prompt_caching")],
    "batching": [],
    "usage_trends": [
        (r"forecast\w*|projection|projected|predict\w*|run[- ]rate|on track|at this (?:pace|rate)|next (?:month|quarter|year)",
         "forecast_spend"),
        (r"spik\w*|jump\w*|anomal\w*|unusual|sudden\w*|why (?:is|are|did|has)", "explain_change"),
        (r"peak\w*|busiest|hourly|time of day|weekends?|weekdays?|patterns?", "show_usage_pattern"),
    ],
    "help": [(r"import|upload|load|csv|jsonl|formats?|litellm|data do you need", "explain_import")],
    "out_of_scope": [],
}
DEFAULT_INTENT = {
    "spend_breakdown": "break_down_spend", "cost_optimization": "find_savings", "performance": "diagnose_latency",
    "model_selection": "find_cheaper_model", "caching": "evaluate_caching", "batching": "evaluate_batching",
    "usage_trends": "show_trend", "help": "explain_capabilities", "out_of_scope": "decline",
}

LEXICON = (
    "breakdown", "latency", "caching", "cached", "batching", "batched", "expensive", "cheaper", "cheapest",
    "savings", "saving", "optimize", "optimise", "optimization", "optimisation", "reduce", "reducing",
    "spending", "compare", "comparison", "deprecated", "trend", "trends", "forecast", "recommendations",
    "recommend", "performance", "throughput", "duplicate", "duplicates", "repeated", "overnight",
    "asynchronous", "errors", "timeouts", "budget", "provider", "providers", "feature", "features",
    "anthropic", "openai", "spend", "costs", "model", "models", "which", "should", "switch", "slower",
    "faster", "tokens", "usage", "increase", "requests", "weekly", "monthly", "daily", "growth",
)
NOT_TYPOS = frozenset({
    "patching", "catching", "matching", "watching", "cashing", "caching", "latched", "batches", "caches",
    "modes", "modem", "spent", "spend", "slowed", "lower", "flower", "tower", "switch", "witch",
    "costly", "costs", "posts", "hosts", "usage", "sausage", "cheaper", "cheeper", "trends", "trend",
    "tokens", "token", "broken", "daily", "dairy", "which", "whichever", "should", "shoulder", "saving",
    "having", "paving", "waving", "raving", "craving", "savings", "feature", "creature", "features",
    "creatures", "models", "modelo", "errors", "mirrors", "terrors", "budget", "budgets", "faster",
    "master", "waster", "taster", "easter", "caster", "duster", "poster", "roster", "bolster",
})


def compile_terms(terms: list[tuple[str, float]]) -> list[tuple[re.Pattern, float]]:
    """Whole-word edges around each alternative list; anchored patterns keep their anchors."""
    return [(re.compile(rf"(?<![\w$])(?:{pattern})(?![\w])", re.IGNORECASE), weight) for pattern, weight in terms]
