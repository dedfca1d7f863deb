"""Compact English word lists for judging how specific a term is to a lecture.

STOP_WORDS never start, end or make up a term. COMMON_WORDS are everyday and general academic
vocabulary: a term made only of them ("learning rate", "hidden unit") must be a repeated phrase of
the lecture to count, and one of them alone is never a term. Anything else is taken as specific.
"""

from __future__ import annotations


def word_set(text: str) -> frozenset[str]:
    """The whitespace-separated words of `text`: lists read better as prose than as quoted literals."""
    return frozenset(text.split())


STOP_WORDS = word_set("""
    a about above across after afterwards again against all almost alone along already also although always am
    among amongst an and another any anybody anyhow anyone anything anyway anywhere are around as at be became
    because become becomes becoming been before beforehand behind being below beside besides between beyond both
    but by can cannot could did do does doing done down during each either else elsewhere enough etc even ever
    every everyone everything everywhere except few for former formerly from further furthermore had has have
    having he hence her here hereby herein hers herself him himself his how however i ie eg if in indeed instead
    into is it its itself just last latter latterly least less let lets like many may me meanwhile might mine
    more moreover most mostly much must my myself namely neither never nevertheless next no nobody none noone nor
    not nothing now nowhere of off often on once one only onto or other others otherwise our ours ourselves out
    over own per perhaps please quite rather really same several she should since so some somehow someone
    something sometime sometimes somewhere still such than that the their theirs them themselves then thence there
    thereafter thereby therefore therein thereupon these they this those though through throughout thru thus to
    together too toward towards under unless until up upon us very via was we well were what whatever when whence
    whenever where whereafter whereas whereby wherein whereupon wherever whether which while whither who whoever
    whole whom whose why will with within without would yet you your yours yourself yourselves
    says said say get gets got getting go goes went gone make makes made making take takes took taken taking give
    gives gave given giving use uses used using see sees saw seen note noted noting called call calls known
    shall ought mr mrs ms dr prof fig figs eq eqs vs cf al ok yes
    zero two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen
    eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand million billion
    sixth seventh eighth ninth tenth eleventh twelfth thirteenth fourteenth fifteenth sixteenth seventeenth
    eighteenth nineteenth twentieth twenty-first hundredth thousandth
    first second third fourth fifth last next previous following above below
    """)

COMMON_WORDS = word_set("""
    ability able absolute accept access according account act action active activity actual actually add added
    addition additional address adjust advance advantage affect age ago agree aim allow allowed allows alternative
    amount analyse analysis analyze answer apart appear application applied apply approach appropriate approximate
    area argue argument arise arm arrive art article ask aspect assume assumed assumption attempt attention author
    available average avoid aware away back background bad balance bar base based basic basis bear beat become
    begin beginning behave behaviour behavior belief believe belong best better big bit black block blue board
    body book border bottom box break brief bring broad build building built business buy calculate calculated
    calculation capable capacity car care careful carry case catch category cause caused causes central centre
    center certain chain chance change changed changes chapter character characteristic charge check child choice
    choose chosen circle city claim class classic clean clear clearly close closed code cold collect collection
    colour color column combination combine combined come comes coming comment common commonly company compare
    comparison complete completely complex component concept concern conclusion condition conditions conduct
    connect connected consequence consider considered consist consistent constant construct contain contains
    content context continue continuous contrast control convert copy core correct corresponding cost count
    country couple course cover create created creates critical cross current currently cut cycle daily damage
    dark date day deal decide decision decrease deep default define defined defines definition degree demand
    demonstrate depend dependent depends depth derive derived describe described description design desired
    detail details determine determined develop development device die difference different differ difficult
    direct direction directly discuss discussion display distance distinct distribution divide divided document
    doubt draw drawn drive drop due early earth easily east easy edge effect effective effects effort element
    elements else emerge employ empty enable end ending energy enter entire entirely entry environment equal
    equally equivalent error especially essential establish estimate evaluate event events evidence exact exactly
    examine example examples exceed excellent exchange exist existence existing expect expected experience
    experiment explain explained explanation express expressed extend extent extra extreme eye face fact factor
    factors fail fair fall false familiar family far fast feature features feel field figure file fill final
    finally find finding fine finish fire fit fixed flow focus follow follows food force form formal format
    forms forward found four free frequent friend front full fully function functions fundamental future gain
    game general generally generate generated girl goal good great green ground group groups grow growth guide
    half hand handle happen hard head health hear heart heat heavy help high higher highest highly history hold
    home hope hot hour house huge human idea ideas identify image imagine impact implement importance important
    impossible improve include included includes including increase increased independent index indicate
    indicates individual influence information initial input inside instance interest interesting internal
    interpret introduce introduced introduction involve involved issue issues item items job join key kind kinds
    knowledge lack language large larger largest late later law lay lead leading learn learned least leave
    lecture left length level levels life light likely limit limited line lines link list listed little live
    local location logic long longer look loss lost lot low lower machine main mainly maintain major majority
    manner map mark market material matter maximum mean meaning means measure measured meet member memory
    mention message method methods middle mind minimum minute miss mode model models modern moment money month
    morning motion move movement multiple name names natural nature near nearly necessary need needed needs
    negative network new nice night noise normal normally north number numbers object objective observe obtain
    obtained obvious occur occurs odd offer office old open operation opposite option order ordinary organize
    origin original outcome output outside overall page pair paper parameter parameters part particular
    particularly parts party pass past path pattern pay people percent perform performance period person phase
    physical pick picture piece place plan play point points policy poor popular population portion position
    positive possible possibly potential power practical practice precise prefer prepare presence present
    presented press pressure pretty prevent price primary principle principles print prior probably problem
    problems procedure process processes produce produced product production program progress project proper
    properly property proportion propose prove provide provided provides public pull purpose push put quality
    quantity question questions quick quickly raise random range rapid rapidly rate rates reach read reader
    ready real reality reason reasonable receive recent recently record red reduce reduced refer reference
    regard region regular relate related relation relationship relative relatively release relevant remain
    remaining remember remove repeat replace report represent represented representation represents require
    required requires research respect respectively response rest result results return reveal review right
    rise risk role room root round rule rules run running safe sample save scale scheme school science scope
    search section secure seem seems select selected sense sentence separate sequence series serious serve
    service set sets setting short show shown shows side sign signal significant similar similarly simple simply
    single situation size slightly slow small smaller social solution solve sort sound source space speak special
    specific specifically speed spend stage stand standard start state statement states status step steps stop
    story strategy street strong structure student students study style subject success successful suggest sum
    summary supply support suppose sure surface system systems table task teacher team technique techniques term
    terms test text theory thing things think thought time times title today top topic total touch towards track
    trade traditional transfer treat tree trend true truth try turn type types typical typically understand unit
    units unknown usual usually valid value values variety various version view visible visit voice wait walk
    wall want war watch water way ways weak week weight weights west white wide wider wish woman word words work
    worked working works world worth write writing written wrong year years young
    learning update compute computed sum product result matter process order century centuries decade decades
    widespread numerous crucial efficient frequent rare unlikely useful powerful famous ancient whole ultimate
    """)

# Verbs that rarely modify a noun: a candidate term holding one ("networks include convolutional",
# "preventing overfitting") is a piece of a clause, not a term. Inflections are matched by stemming.
VERBS = word_set("""
    accept achieve add adapt adjust affect agree aim allow apply argue arise assume attempt avoid become begin believe
    belong bring build calculate carry cause change check choose claim compare compute consider consist contain
    continue contribute convert correct correspond create decide decrease define demonstrate depend derive describe
    determine develop differ discuss divide drop enable encounter ensure enter establish estimate evaluate evolve
    examine exceed execute exist expect explain express extend fail find follow generate grow guarantee happen help
    identify ignore illustrate imply improve include increase indicate influence introduce involve keep lead leave
    lie look lose maintain maximize maximise minimize minimise move need obtain occur offer perform predict prefer
    prepare present prevent produce propose prove provide reach receive reduce refer reflect relate rely remain remove
    replace represent require result return reveal satisfy seem select send serve share show solve specify start
    state stop suggest support suppose tell tend think treat try turn understand update vary want yield
    absorb activate approximate bind catalyse catalyze converge decay degrade denote diverge emit encode halt hold
    inhibit map minimise optimise optimize oxidise oxidize reabsorb regulate shrink split stimulate synthesise
    synthesize transmit trigger
    """)

# Irregular past forms, which no suffix rule finds: "the Industrial Revolution began", "Manchester grew".
IRREGULAR_PAST = word_set("""
    arose ate became began begun bent bled blew bore bought bound bred broke brought built burnt caught chose clung
    dealt drew drove dug dwelt fed fell felt fled flew forbade forgot forgave fought found froze grew ground hid
    held hung hurt kept knelt knew laid lay led leant leapt left lent lost meant met overcame paid rang rose ran
    sang sank sat saw sent shed shone shook shot showed shrank slid slept sold sought spent split spoke spread
    sprang stood stole stuck struck strove swore swept swam swung taught tore thought threw told took understood
    undertook upheld wept went woke won wore wound wrote
    """)

# Verbs of VERBS that are just as often nouns ("state space", "weight update", "drop rate").
NOUN_VERBS = word_set(
    """
    aim attempt cause change check claim decay decrease drop estimate fail hold increase influence lead look map move
    need offer present reach result return share show split start state stop support trigger turn update yield
    """
)
