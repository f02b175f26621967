import type { GeneratedStory, StoryLength, StoryRequest } from "./generator";
import { FIRST_NAMES, GENRES, SURNAMES, type Genre } from "./builtin-genres";
import { Rng } from "./seeded";
import { fill, premiseOf } from "./text";

/**
 * The built-in story writer: a plot of fixed beats (opening, the prompt's premise,
 * companion, journey, complication, crisis, resolution) filled from one genre's
 * material, every choice drawn from a generator seeded by the request. Characters are
 * introduced with an appositive ("Mara Vell, a lamplighter with ink-stained hands") and
 * named again later, so that extraction has something real to find.
 */

interface Cast {
  hero: string;
  heroFirst: string;
  role: string;
  trait: string;
  companion: string;
  companionFirst: string;
  companionRole: string;
  adversary: string;
}

interface Scene {
  genre: Genre;
  setting: string;
  object: string;
  premise: string;
  cast: Cast;
}

type Beat = (s: Scene, rng: Rng) => string;

const BEATS_BY_LENGTH: Record<StoryLength, string[]> = {
  short: ["opening", "premise", "companion", "complication", "resolution"],
  medium: ["opening", "premise", "companion", "journey", "complication", "crisis", "resolution"],
  long: ["opening", "premise", "companion", "journey", "journey", "complication", "journey", "crisis", "turn", "resolution", "coda"],
};

const BEATS: Record<string, Beat[]> = {
  opening: [
    (s, r) =>
      fill("In {setting}, where {mood}, there lived {hero}, a {role} {trait}. {detail} For years {heroFirst} had kept to small work and smaller ambitions, and had told anyone who asked that this was a choice.", {
        ...vars(s), mood: r.pick(s.genre.moods), detail: r.pick(s.genre.settingDetails),
      }),
    (s, r) =>
      fill("{hero} was a {role} {trait}, and {setting} was the only home {heroFirst} had ever known. {detail} On the evening this story begins, {mood}, and {heroFirst} was about to be late for something that mattered.", {
        ...vars(s), mood: r.pick(s.genre.moods), detail: r.pick(s.genre.settingDetails),
      }),
  ],
  premise: [
    (s) => fill("Everything that followed grew out of one thing: {premise}. {heroFirst} heard of it first as a joke told in a doorway, then as a warning, and by morning it was the only thing anyone in {setting} talked about.", vars(s)),
    (s) => fill("It began, as these things do, quietly: {premise}. {heroFirst} might have let it pass, except that the same night {object} turned up where it had no business being, and {heroFirst} was the one who found it.", vars(s)),
  ],
  companion: [
    (s, r) =>
      fill("Help came from an unlikely quarter. {companion}, {companionRole}, fell into step beside {heroFirst} and announced, without being asked, that {pronoun} was coming too. \"You need someone who knows the back ways,\" {companionFirst} said, \"and someone to blame when it goes wrong.\"", {
        ...vars(s), pronoun: r.pick(["she", "he"]),
      }),
    (s) => fill("{heroFirst} did not set out alone for long. {companion}, {companionRole}, was waiting at the edge of town with two packs already filled. \"I heard,\" {companionFirst} said simply, and {heroFirst} found there was nothing to argue with in that.", vars(s)),
  ],
  journey: [
    (s, r) =>
      fill("Their road led to {place}. It was colder than {heroFirst} had expected, and older, and it remembered things. {companionFirst} read the signs scratched into the stone while {heroFirst} kept watch, and between them they learned that {object} had passed this way before, carried by someone in a hurry.", {
        ...vars(s), place: r.pick(s.genre.waypoints),
      }),
    (s, r) =>
      fill("At {place} they found the first real clue: a name, half erased, and beneath it a date from long ago. {companionFirst} wanted to go back. {heroFirst} wanted to go on. They argued in whispers, and in the end they went on, because going back had stopped being possible somewhere along the way.", {
        ...vars(s), place: r.pick(s.genre.waypoints),
      }),
    (s, r) =>
      fill("Days blurred at {place}. {heroFirst} learned how {companionFirst} took tea, which songs {companionFirst} hummed when frightened, and how long a person could go on hope and very little bread. {mood}, and still {object} pulled at them like a tide.", {
        ...vars(s), place: r.pick(s.genre.waypoints), mood: r.pick(s.genre.moods),
      }),
  ],
  complication: [
    (s) => fill("Then {adversary} moved. Doors that had been open closed; friends stopped answering. {heroFirst} understood, too late, that {adversary} had wanted {object} all along, and had only been waiting for someone foolish enough to find it.", vars(s)),
    (s) => fill("The trouble had a name, and the name was {adversary}. Word came that the roads were watched and that anyone asking about {object} would be remembered. {companionFirst} went pale at the news. {heroFirst} only tightened the straps of the pack.", vars(s)),
  ],
  crisis: [
    (s) => fill("It came to a head at night, as such things do. {adversary} stood between them and the way home, and {heroFirst} held {object} in both hands and felt how little it weighed, for something so many people wanted. \"Give it to me,\" came the demand, \"and you can both go back to your small lives.\" {companionFirst} looked at {heroFirst} and waited.", vars(s)),
    (s) => fill("When the end came it was fast. The ground shook, the lights failed, and {companionFirst} was suddenly on the wrong side of a closing door. {heroFirst} had one heartbeat to choose between {object} and a friend, and found the choice was not hard at all.", vars(s)),
  ],
  turn: [
    (s) => fill("What {adversary} had never understood was that {object} was not a prize but a promise, and promises answer to whoever keeps them. {heroFirst} had kept one, without meaning to, every day since leaving {setting}.", vars(s)),
    (s) => fill("{companionFirst} laughed then, of all things, and the sound broke something. {heroFirst} saw the trick of it at last: {adversary} could take {object}, but could not make it work, not without the two of them.", vars(s)),
  ],
  resolution: [
    (s) => fill("They came home to {setting} in the first light of morning, tired to the bone. {object} went back where it belonged, and {adversary} was, for now, only a story people told to frighten each other. {heroFirst} and {companionFirst} did not talk about what they had seen, but they met every week after that, and they always saved each other a seat.", vars(s)),
    (s) => fill("In the end, {heroFirst} kept nothing but the memory and a small scar. {setting} looked the same on the surface, which was how {heroFirst} liked it. Some nights, though, {heroFirst} would stand at the window and think of {object}, and of {adversary}, and of how close it had been, and smile anyway.", vars(s)),
  ],
  coda: [
    (s) => fill("Years later, a child in {setting} asked {heroFirst} whether any of it was true. {heroFirst} considered the question for a long time. \"Every word,\" {heroFirst} said at last, \"except the parts I left out.\"", vars(s)),
    (s) => fill("And if you go to {setting} today and ask after {hero}, they will point you to a narrow house with a light always burning in the window. Knock twice. {heroFirst} will know why you have come.", vars(s)),
  ],
};

function vars(s: Scene): Record<string, string> {
  return {
    setting: s.setting,
    object: s.object,
    premise: s.premise,
    hero: s.cast.hero,
    heroFirst: s.cast.heroFirst,
    role: s.cast.role,
    trait: s.cast.trait,
    companion: s.cast.companion,
    companionFirst: s.cast.companionFirst,
    companionRole: s.cast.companionRole,
    adversary: s.cast.adversary,
  };
}

/** The genre named by `requested`, else cued by the prompt, else drawn. */
export function chooseGenre(rng: Rng, prompt: string, requested?: string): Genre {
  const named = requested && GENRES.find((g) => g.name === requested.toLowerCase() || g.cues.test(requested));
  return named || GENRES.find((g) => g.cues.test(prompt)) || rng.pick(GENRES);
}

/** The proper name inside a setting: "the river town of Greywater" → "Greywater". */
const placeName = (setting: string) => setting.match(/\p{Lu}[\p{L}'-]*(\s+\p{Lu}[\p{L}'-]*)*/gu)?.at(-1) ?? setting;

export function writeStory(request: StoryRequest): GeneratedStory {
  const rng = new Rng("story", request.prompt, request.genre ?? "", request.length ?? "medium");
  const genre = chooseGenre(rng, request.prompt, request.genre);
  const [heroFirst, companionFirst] = rng.sample(FIRST_NAMES, 2) as [string, string];
  const [heroLast, companionLast] = rng.sample(SURNAMES, 2) as [string, string];
  const scene: Scene = {
    genre,
    setting: rng.pick(genre.settings),
    object: rng.pick(genre.objects),
    premise: premiseOf(request.prompt),
    cast: {
      hero: `${heroFirst} ${heroLast}`,
      heroFirst,
      role: rng.pick(genre.roles),
      trait: rng.pick(genre.traits),
      companion: `${companionFirst} ${companionLast}`,
      companionFirst,
      companionRole: rng.pick(genre.companionRoles),
      adversary: rng.pick(genre.adversaries),
    },
  };
  const used = new Set<Beat>();
  const paragraphs = BEATS_BY_LENGTH[request.length ?? "medium"].map((name) => {
    const options = BEATS[name]!.filter((b) => !used.has(b));
    const beat = rng.pick(options.length > 0 ? options : BEATS[name]!);
    used.add(beat);
    return beat(scene, rng);
  });
  const title = fill(rng.pick(["The {noun} of {place}", "{name} and the {noun}", "What the {noun} Kept", "A {noun} for {name}"]), {
    noun: rng.pick(genre.titleNouns),
    place: placeName(scene.setting),
    name: heroFirst,
  });
  return { title, text: paragraphs.join("\n\n") };
}
