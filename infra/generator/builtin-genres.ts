/**
 * The built-in generator's material: for each genre, the places, people, objects and
 * moods its story templates draw on. Plain data, so that adding a genre is adding an
 * entry here.
 */

export interface Genre {
  name: string;
  /** Words in a prompt or a requested genre that choose this one. */
  cues: RegExp;
  /** "the harbour town of Saltmere": where the story opens. */
  settings: string[];
  /** A sentence that makes the setting concrete; `{setting}` is available. */
  settingDetails: string[];
  roles: string[];
  traits: string[];
  companionRoles: string[];
  /** Who or what stands in the way. */
  adversaries: string[];
  /** The thing the story turns on. */
  objects: string[];
  /** Places the middle of the story passes through. */
  waypoints: string[];
  /** Nouns for titles: "The Lantern of Saltmere". */
  titleNouns: string[];
  moods: string[];
}

export const GENRES: Genre[] = [
  {
    name: "fantasy",
    cues: /\b(fantasy|dragon|wizard|witch|magic|elf|elves|sword|kingdom|spell|castle|knight|fae)\b/i,
    settings: ["the river town of Greywater", "the mountain hold of Karn Ebbet", "the walled city of Vessaly", "the marsh village of Low Tillow", "the old capital of Aurenne"],
    settingDetails: [
      "Bells rang there at every hour, and nobody remembered who had first paid the ringers.",
      "Its streets climbed in crooked stairs, and every door had a charm of rowan nailed above it.",
      "Mist came off the water each evening and did not leave until the bakers lit their ovens.",
      "The market sold honey, iron and rumours, and the rumours were the most expensive.",
    ],
    roles: ["lamplighter", "apprentice cartographer", "retired sellsword", "hedge witch", "bookbinder", "ferry keeper"],
    traits: ["with ink-stained hands", "who never learned to lie well", "with a limp earned in a war nobody sang about", "who talked to crows when no one was listening", "with more debts than friends"],
    companionRoles: ["a disgraced knight", "a talkative fox who claimed to be a prince", "a young priest with a borrowed sword", "a smuggler with a silver tooth"],
    adversaries: ["the Grey Duke", "a witch-queen who collected names", "the Hollow Choir", "a dragon that had forgotten how to sleep"],
    objects: ["a brass key that was always warm", "a map that redrew itself at night", "a crown of river glass", "a book with one page missing"],
    waypoints: ["the drowned chapel", "a market that only opened at moonrise", "the pass of Seven Cairns", "the library under the hill"],
    titleNouns: ["Lantern", "Key", "Crown", "Map", "Bell", "Oath"],
    moods: ["the air smelled of rain and woodsmoke", "the stars seemed closer than they should", "every shadow held its breath"],
  },
  {
    name: "mystery",
    cues: /\b(mystery|detective|murder|clue|crime|case|investigat\w*|suspect|disappear\w*|missing|thief|stolen)\b/i,
    settings: ["the seaside town of Port Aldine", "a fog-bound quarter of old London", "the hotel Belvedere on the lake shore", "the mill town of Hartwell"],
    settingDetails: [
      "Everyone there knew everyone else's business, and most of it was wrong.",
      "The trains ran late, the coffee ran cold, and the gossip ran faster than either.",
      "It was the kind of place where a closed curtain was a statement.",
    ],
    roles: ["former police inspector", "crossword setter", "night-shift pharmacist", "newspaper archivist", "insurance investigator"],
    traits: ["who noticed shoes before faces", "with a memory for timetables", "who distrusted anything too tidy", "with a notebook for every year of her life"],
    companionRoles: ["a nervous junior constable", "the landlady's sharp-eyed nephew", "a retired magician", "a journalist who owed a favour"],
    adversaries: ["the Colonel", "Mrs Whitlock of the big house", "the family solicitor", "a man who called himself Mr Grey"],
    objects: ["a pocket watch stopped at ten past four", "a letter written in two different inks", "a ledger with a torn-out page", "a single muddy glove"],
    waypoints: ["the boathouse", "the records office", "a shuttered tearoom", "the signal box by the line"],
    titleNouns: ["Watch", "Ledger", "Glove", "Letter", "Alibi", "Tide"],
    moods: ["the rain had not stopped since Tuesday", "the lamps made islands in the fog", "the house was too quiet for a house full of people"],
  },
  {
    name: "science fiction",
    cues: /\b(sci-?fi|science fiction|space|starship|planet|robot|android|ai|alien|galaxy|orbit|colony|future|cyber\w*)\b/i,
    settings: ["the orbital station Calloway Ring", "the terraformed valley of New Sedna", "the generation ship Long Patience", "the undersea habitat Meridian Deep"],
    settingDetails: [
      "The air tasted faintly of metal, and the corridors hummed like something asleep.",
      "Its sky was a little too blue, because the engineers had argued about the colour for a decade.",
      "Nobody there had seen a real sunrise in three generations, and nobody admitted to missing it.",
    ],
    roles: ["hull engineer", "xenobotanist", "cargo pilot", "systems auditor", "archive technician"],
    traits: ["who trusted machines more than committees", "with a prosthetic hand she had named", "who still kept paper notes", "with a talent for finding the one loose bolt"],
    companionRoles: ["a maintenance drone with opinions", "a diplomat from the outer colonies", "a cadet on her first posting", "an AI that insisted it was not lonely"],
    adversaries: ["the Directorate", "a corporation that owned the oxygen", "a signal from beyond the heliopause", "a quarantine protocol that had started thinking for itself"],
    objects: ["a data core older than the station", "a seed vault key", "a navigation log with forty missing minutes", "a beacon that answered in a dead language"],
    waypoints: ["the hydroponics deck", "a derelict docking arm", "the cold-storage vaults", "the observation blister on the far side"],
    titleNouns: ["Signal", "Orbit", "Vault", "Beacon", "Archive", "Drift"],
    moods: ["the station lights dimmed to their night cycle", "the stars wheeled slowly past the glass", "a warning light blinked somewhere far away"],
  },
  {
    name: "horror",
    cues: /\b(horror|ghost|haunt\w*|creepy|monster|demon|curse\w*|nightmare|dread|undead|zombie|vampire)\b/i,
    settings: ["the village of Hollin Moor", "an apartment block called the Marrow Building", "a lighthouse on Crake Point", "the old sanatorium at Ebbing Hill"],
    settingDetails: [
      "The dogs there would not walk past the church after dark.",
      "Its radiators knocked all night, in a rhythm too patient to be the pipes.",
      "The sea there was grey in every weather, and the gulls never landed.",
    ],
    roles: ["night nurse", "estate agent", "parish organist", "caretaker", "folk-song collector"],
    traits: ["who did not believe in anything she could not fix", "who slept with the light on and denied it", "with a recorder always in his coat pocket", "who had come back to settle an inheritance"],
    companionRoles: ["the vicar's unhappy daughter", "a local historian who drank too much", "a child who knew the old rhymes", "a lodger who never seemed to eat"],
    adversaries: ["the thing in the walls", "the Pale Lady of the stairwell", "something that wore the neighbour's voice", "the hunger under the moor"],
    objects: ["a photograph in which someone had been scratched out", "a music box that played in a minor key", "a doll's house that matched the real one", "a diary written backwards"],
    waypoints: ["the cellar", "the flooded crypt", "the top floor nobody rented", "the ring of stones on the moor"],
    titleNouns: ["Stair", "Hush", "Photograph", "Cellar", "Lullaby", "Hollow"],
    moods: ["the candle flames leaned the wrong way", "the silence had a texture, like wet wool", "somewhere above, a floorboard settled under a weight"],
  },
  {
    name: "romance",
    cues: /\b(romance|love|lovers?|wedding|kiss|heart|date|crush|valentine|sweetheart)\b/i,
    settings: ["the coastal town of Marigold Bay", "a bookshop on a Paris side street", "the vineyard village of Santa Lúcia", "a snowed-in ski lodge in the Dolomites"],
    settingDetails: [
      "The cafés put their chairs out at the first hint of sun, whatever the season.",
      "Everyone there had an opinion about everyone else's love life and shared it freely.",
      "The evenings were long and golden, and the church bells were always slightly out of tune.",
    ],
    roles: ["pastry chef", "violin restorer", "florist", "translator", "ferry captain"],
    traits: ["who had sworn off grand gestures", "with a laugh too loud for libraries", "who planned everything except her own life", "who wrote letters he never sent"],
    companionRoles: ["an architect with a terrible sense of direction", "a rival baker from across the square", "a widowed bookseller", "an old friend returned from abroad"],
    adversaries: ["the meddling Aunt Rosalind", "a rival named Julian", "the hotel's new owner", "Madame Ferrand"],
    objects: ["a recipe book with notes in two hands", "a ring found in a library book", "an unsent letter", "a festival ticket for two"],
    waypoints: ["the harbour wall at dusk", "the Sunday market", "the rooftop of the old hotel", "the station platform"],
    titleNouns: ["Letter", "Summer", "Promise", "Harbour", "Recipe", "Waltz"],
    moods: ["the light turned everything the colour of apricots", "music drifted from an open window", "the whole square seemed to be waiting"],
  },
  {
    name: "adventure",
    cues: /\b(adventure|treasure|pirate|quest|expedition|jungle|desert|explor\w*|island|voyage|ship)\b/i,
    settings: ["the port of Santa Varra", "a caravan town at the edge of the Red Waste", "the jungle trading post of Iquara", "the island of Tortuga Minor"],
    settingDetails: [
      "Ships came in with spices and left with secrets, and the customs men took a cut of both.",
      "Sand got into everything there, including promises.",
      "The heat was a living thing, and the river was the only road.",
    ],
    roles: ["navigator", "cartographer", "cook on a salvage ship", "guide", "mapmaker's daughter"],
    traits: ["who could read the weather like a letter", "with a compass that had belonged to her mother", "who had never once turned back", "with a scar she told a different story about each time"],
    companionRoles: ["a runaway noble with good boots", "a grizzled first mate", "a linguist who spoke nine languages badly", "a mule with a mind of its own"],
    adversaries: ["Captain Salt", "the Brotherhood of the Black Sail", "a rival expedition with better funding", "the desert itself"],
    objects: ["half of a torn treasure map", "a jade idol with one eye", "a logbook from a ship lost fifty years ago", "a key shaped like a seahorse"],
    waypoints: ["the reef of broken masts", "a temple swallowed by vines", "the salt flats", "the smugglers' caves"],
    titleNouns: ["Map", "Compass", "Idol", "Tide", "Voyage", "Reef"],
    moods: ["the wind smelled of salt and far-off storms", "gulls wheeled and shrieked overhead", "the horizon shimmered with heat"],
  },
];

export const FIRST_NAMES = [
  "Mara", "Tobin", "Elspeth", "Corin", "Ysolde", "Anselm", "Nell", "Idris", "Wren", "Oskar",
  "Lucía", "Rafe", "Agnes", "Teodor", "Inés", "Callum", "Bea", "Joris", "Maren", "Silas",
];

export const SURNAMES = [
  "Vell", "Ashdown", "Harrow", "Quill", "Marchetti", "Okafor", "Lindqvist", "Brand", "Castell", "Moreau",
  "Thorne", "Ibarra", "Penhallow", "Dray", "Sato", "Fenwick",
];
