//! Django's random output, `random.choice` for the `random` filter and
//! `django.utils.lorem_ipsum`'s random words and paragraphs for `{% lorem %}`: drawn, as
//! Python's `random` module is seeded, from the operating system's random source (getrandom,
//! the crate scaffold already uses; the `rand` crate would add a generator and its
//! dependencies for the same few uniform draws). Bytes are fetched 256 at a time.

use crate::value::Failure;

pub(crate) struct OsRandom {
    buf: [u8; 256],
    pos: usize,
}

impl OsRandom {
    pub(crate) fn new() -> Self {
        OsRandom {
            buf: [0; 256],
            pos: 256,
        }
    }

    fn next_u64(&mut self) -> Result<u64, Failure> {
        if self.pos + 8 > self.buf.len() {
            getrandom::fill(&mut self.buf)
                .map_err(|e| Failure::Python(format!("OSError: the random source failed: {e}")))?;
            self.pos = 0;
        }
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&self.buf[self.pos..self.pos + 8]);
        self.pos += 8;
        Ok(u64::from_le_bytes(bytes))
    }

    /// Uniform in `0..n` (`n` > 0), without modulo bias (`Random._randbelow`).
    pub(crate) fn below(&mut self, n: usize) -> Result<usize, Failure> {
        let n = n as u64;
        let zone = u64::MAX - (u64::MAX % n);
        loop {
            let x = self.next_u64()?;
            if x < zone {
                return Ok((x % n) as usize);
            }
        }
    }

    /// `random.randint(a, b)`, both ends included.
    pub(crate) fn randint(&mut self, a: usize, b: usize) -> Result<usize, Failure> {
        Ok(a + self.below(b - a + 1)?)
    }

    /// `random.sample(range(n), k)`: `k` <= `n` distinct indexes in random order.
    pub(crate) fn sample(&mut self, n: usize, k: usize) -> Result<Vec<usize>, Failure> {
        let mut pool: Vec<usize> = (0..n).collect();
        for i in 0..k {
            let j = i + self.below(n - i)?;
            pool.swap(i, j);
        }
        pool.truncate(k);
        Ok(pool)
    }
}

/// `django.utils.lorem_ipsum.WORDS`.
pub(crate) const WORDS: [&str; 182] = [
    "exercitationem",
    "perferendis",
    "perspiciatis",
    "laborum",
    "eveniet",
    "sunt",
    "iure",
    "nam",
    "nobis",
    "eum",
    "cum",
    "officiis",
    "excepturi",
    "odio",
    "consectetur",
    "quasi",
    "aut",
    "quisquam",
    "vel",
    "eligendi",
    "itaque",
    "non",
    "odit",
    "tempore",
    "quaerat",
    "dignissimos",
    "facilis",
    "neque",
    "nihil",
    "expedita",
    "vitae",
    "vero",
    "ipsum",
    "nisi",
    "animi",
    "cumque",
    "pariatur",
    "velit",
    "modi",
    "natus",
    "iusto",
    "eaque",
    "sequi",
    "illo",
    "sed",
    "ex",
    "et",
    "voluptatibus",
    "tempora",
    "veritatis",
    "ratione",
    "assumenda",
    "incidunt",
    "nostrum",
    "placeat",
    "aliquid",
    "fuga",
    "provident",
    "praesentium",
    "rem",
    "necessitatibus",
    "suscipit",
    "adipisci",
    "quidem",
    "possimus",
    "voluptas",
    "debitis",
    "sint",
    "accusantium",
    "unde",
    "sapiente",
    "voluptate",
    "qui",
    "aspernatur",
    "laudantium",
    "soluta",
    "amet",
    "quo",
    "aliquam",
    "saepe",
    "culpa",
    "libero",
    "ipsa",
    "dicta",
    "reiciendis",
    "nesciunt",
    "doloribus",
    "autem",
    "impedit",
    "minima",
    "maiores",
    "repudiandae",
    "ipsam",
    "obcaecati",
    "ullam",
    "enim",
    "totam",
    "delectus",
    "ducimus",
    "quis",
    "voluptates",
    "dolores",
    "molestiae",
    "harum",
    "dolorem",
    "quia",
    "voluptatem",
    "molestias",
    "magni",
    "distinctio",
    "omnis",
    "illum",
    "dolorum",
    "voluptatum",
    "ea",
    "quas",
    "quam",
    "corporis",
    "quae",
    "blanditiis",
    "atque",
    "deserunt",
    "laboriosam",
    "earum",
    "consequuntur",
    "hic",
    "cupiditate",
    "quibusdam",
    "accusamus",
    "ut",
    "rerum",
    "error",
    "minus",
    "eius",
    "ab",
    "ad",
    "nemo",
    "fugit",
    "officia",
    "at",
    "in",
    "id",
    "quos",
    "reprehenderit",
    "numquam",
    "iste",
    "fugiat",
    "sit",
    "inventore",
    "beatae",
    "repellendus",
    "magnam",
    "recusandae",
    "quod",
    "explicabo",
    "doloremque",
    "aperiam",
    "consequatur",
    "asperiores",
    "commodi",
    "optio",
    "dolor",
    "labore",
    "temporibus",
    "repellat",
    "veniam",
    "architecto",
    "est",
    "esse",
    "mollitia",
    "nulla",
    "a",
    "similique",
    "eos",
    "alias",
    "dolore",
    "tenetur",
    "deleniti",
    "porro",
    "facere",
    "maxime",
    "corrupti",
];

/// `lorem_ipsum.sentence()`.
pub(crate) fn sentence(rng: &mut OsRandom) -> Result<String, Failure> {
    let count = rng.randint(1, 5)?;
    let mut sections = Vec::with_capacity(count);
    for _ in 0..count {
        let k = rng.randint(3, 12)?;
        let picked: Vec<&str> = rng
            .sample(WORDS.len(), k)?
            .into_iter()
            .map(|i| WORDS[i])
            .collect();
        sections.push(picked.join(" "));
    }
    let s = sections.join(", ");
    let mut chars = s.chars();
    let first: String = chars
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default();
    let end = if rng.below(2)? == 0 { '?' } else { '.' };
    Ok(format!("{first}{}{end}", chars.as_str()))
}

/// `lorem_ipsum.paragraph()`.
pub(crate) fn paragraph(rng: &mut OsRandom) -> Result<String, Failure> {
    let count = rng.randint(1, 4)?;
    let mut sentences = Vec::with_capacity(count);
    for _ in 0..count {
        sentences.push(sentence(rng)?);
    }
    Ok(sentences.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_stay_in_range() {
        let mut rng = OsRandom::new();
        for _ in 0..1000 {
            assert!(rng.below(3).unwrap() < 3);
            assert!((3..=12).contains(&rng.randint(3, 12).unwrap()));
        }
        let mut s = rng.sample(WORDS.len(), WORDS.len()).unwrap();
        s.sort_unstable();
        assert_eq!(s, (0..WORDS.len()).collect::<Vec<_>>());
        let p = paragraph(&mut rng).unwrap();
        assert!(p.ends_with('.') || p.ends_with('?'));
        assert!(p.chars().next().is_some_and(char::is_uppercase));
    }
}
