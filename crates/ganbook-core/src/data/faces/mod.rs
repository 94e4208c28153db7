//! Procedural faces in three styles of one attribute vector: "webtoon" line art, flat
//! "emoji" avatars and shaded "photo" faces (the DTN photo -> caricature setting, and the
//! webtoon DCGAN experiment). Label = identity.

pub mod attributes;
pub mod emoji;
pub mod photo;
pub mod webtoon;

use super::source::{Source, to_channels};
use crate::bail;
use crate::error::Result;
use attributes::{Attributes, NAMES};

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Style {
    Webtoon,
    Emoji,
    Photo,
}

impl Style {
    pub const ALL: [Style; 3] = [Style::Webtoon, Style::Emoji, Style::Photo];

    pub fn parse(s: &str) -> Result<Style> {
        Ok(match s {
            "webtoon" => Style::Webtoon,
            "emoji" => Style::Emoji,
            "photo" => Style::Photo,
            _ => bail!("faces: unknown style '{s}' (styles: webtoon, emoji, photo)"),
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Style::Webtoon => "webtoon",
            Style::Emoji => "emoji",
            Style::Photo => "photo",
        }
    }
}

pub struct Faces {
    pub style: Style,
    pub size: usize,
    pub channels: usize,
    pub n: usize,
    pub seed: u64,
    /// Distinct attribute combinations (0: every image its own).
    pub identities: usize,
}

impl Faces {
    pub fn attrs(&self, i: usize) -> Attributes {
        Attributes::of(self.seed, self.identities, i)
    }

    /// Image `i` as planar RGB [3, size, size] in [0, 1].
    pub fn rgb(&self, i: usize) -> Vec<f32> {
        let a = self.attrs(i);
        match self.style {
            Style::Webtoon => webtoon::draw(&a, self.size),
            Style::Emoji => emoji::draw(&a, self.size),
            Style::Photo => photo::draw(&a, self.size),
        }
        .px
    }
}

impl Source for Faces {
    fn len(&self) -> usize {
        self.n
    }

    fn shape(&self) -> [usize; 3] {
        [self.channels, self.size, self.size]
    }

    fn image(&self, i: usize) -> Result<Vec<f32>> {
        Ok(to_channels(
            self.rgb(i),
            self.size * self.size,
            self.channels,
        ))
    }

    fn label(&self, i: usize) -> Option<usize> {
        (self.identities > 0).then(|| self.attrs(i).identity)
    }

    fn classes(&self) -> Vec<String> {
        (0..self.identities).map(|k| format!("id{k}")).collect()
    }

    fn attribute_names(&self) -> Vec<String> {
        NAMES.iter().map(|s| s.to_string()).collect()
    }

    fn attributes(&self, i: usize) -> Option<Vec<f32>> {
        Some(self.attrs(i).to_vec())
    }

    fn builtin(&self) -> Option<&'static str> {
        Some("faces")
    }

    fn describe(&self) -> String {
        format!(
            "faces {} n={} identities={} [{}, {}, {}]",
            self.style.name(),
            self.n,
            self.identities,
            self.channels,
            self.size,
            self.size
        )
    }
}
