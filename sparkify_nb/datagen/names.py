"""Names for generated people and songs: first and last names (by gender),
artist names and song titles, and ids shaped like the real ones."""

from __future__ import annotations

import random
import string

FIRST_NAMES_F = ("Lily", "Chloe", "Tegan", "Aleena", "Kate", "Sara", "Layla", "Avery", "Emily", "Ava", "Zoe",
                 "Jayden", "Sophia", "Mia", "Harper", "Madison", "Elizabeth", "Aubrey", "Brooklyn", "Stella",
                 "Anabelle", "Rylan", "Kaylee", "Lucero", "Molly", "Jacqueline", "Ximena", "Zoë", "Celeste",
                 "Isabella", "Hannah", "Morgan", "Amiya", "Katherine", "Theodora", "Dakota", "Maya", "Renée")
FIRST_NAMES_M = ("Jacob", "Kevin", "Mohammad", "Ryan", "Matthew", "Jordan", "Noah", "Liam", "Jayden", "Caleb",
                 "Walter", "Sean", "Wyatt", "Kaleb", "Marcus", "Samuel", "Tucker", "Connar", "Colm", "Brayden",
                 "Emanuel", "Gavin", "Rylan", "Elijah", "Aiden", "Mason", "Carter", "José", "Andrés", "Dustin",
                 "Leif", "Spencer", "Alexander", "Micah", "Oliver", "Ethan", "Jaleel", "Kael")
LAST_NAMES = ("Koch", "Klein", "Cuevas", "Martin", "Levine", "Kirby", "Graves", "Harrell", "Rodriguez", "Johnson",
              "Smith", "Lynch", "Jones", "Hogan", "Clark", "Williams", "Brown", "Garcia", "Lee", "Walker", "Frye",
              "Beck", "Thornton", "Olson", "Perez", "Robinson", "Bryant", "Montgomery", "Larson", "Phillips",
              "Cook", "Mendoza", "Ortiz", "Nguyen", "Kim", "O'Brien", "Schwartz", "Hayes", "Velasquez", "Parker",
              "Santiago", "Roberson", "Gonzalez", "Jenkins", "Ramírez", "Pittman", "Bowman", "Hale", "Reeves",
              "Dominguez", "Sanchez", "Austin", "Maddox", "Washington", "Barrera", "Duffy", "Fisher", "Moore")

ADJECTIVES = ("Blue", "Golden", "Broken", "Electric", "Silent", "Wild", "Lonely", "Midnight", "Sweet", "Crazy",
              "Little", "Burning", "Velvet", "Lost", "Summer", "Cold", "Neon", "Hollow", "Bitter", "Holy", "Red",
              "Paper", "Secret", "Sad", "Happy", "Empty", "Northern", "Dirty", "Fading", "Rolling")
NOUNS = ("Heart", "Night", "River", "Dream", "Fire", "Rain", "Road", "Sky", "Love", "Ghost", "Train", "Moon",
         "City", "Garden", "Mirror", "Ocean", "Song", "Wolf", "Highway", "Window", "Angel", "Machine", "Storm",
         "Shadow", "Kingdom", "Radio", "Summer", "Desert", "Diamond", "Island", "Canción", "Corazón", "Rêve")
VERBS = ("Take", "Hold", "Call", "Love", "Leave", "Save", "Show", "Tell", "Let", "Walk", "Don't Stop", "Bring")
TITLE_TAILS = (" (Live)", " (Remix)", " (Album Version)", " (Acoustic)", " [Explicit]", " (Radio Edit)")


def ident(rng: random.Random, prefix: str) -> str:
    """An id with ``prefix`` (``AR``, ``SO``, ``TR``), 18 characters in all."""
    # Real ids: two letters, three letters, then 13 characters (e.g. TRAAAAW128F429D538).
    return (prefix + "".join(rng.choices(string.ascii_uppercase, k=3))
            + "".join(rng.choices(string.ascii_uppercase + string.digits, k=13)))


def artist_name(rng: random.Random) -> str:
    """A person, a band (``The Velvet Rivers``), a duo with a band or a DJ."""
    kind = rng.random()
    if kind < 0.35:
        return f"{rng.choice(FIRST_NAMES_F + FIRST_NAMES_M)} {rng.choice(LAST_NAMES)}"
    if kind < 0.6:
        return f"The {rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}s"
    if kind < 0.75:
        return f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}"
    if kind < 0.9:
        return f"{rng.choice(FIRST_NAMES_F + FIRST_NAMES_M)} {rng.choice(LAST_NAMES)} & The {rng.choice(NOUNS)}s"
    return f"DJ {rng.choice(NOUNS)}"


def song_title(rng: random.Random) -> str:
    """A title like the real ones, now and then with a tail such as `` (Live)``."""
    kind = rng.random()
    if kind < 0.4:
        title = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}"
    elif kind < 0.6:
        title = f"{rng.choice(VERBS)} Me {rng.choice(('Home', 'Now', 'Back', 'Down', 'Away', 'Tonight'))}"
    elif kind < 0.8:
        title = f"{rng.choice(NOUNS)} Of The {rng.choice(NOUNS)}"
    else:
        title = rng.choice(NOUNS)
    return title + (rng.choice(TITLE_TAILS) if rng.random() < 0.12 else "")
