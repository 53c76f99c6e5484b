//! The language of the tutor's messages: Korean or English.

use exercise_checks::Text;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    Ko,
    En,
}

impl Lang {
    /// From a `LANG` value: `ko`, `ko_KR.UTF-8`, ... mean Korean; anything else (or nothing) English.
    pub fn from_env_value(lang: Option<&str>) -> Lang {
        match lang {
            Some(value) if value.to_ascii_lowercase().starts_with("ko") => Lang::Ko,
            _ => Lang::En,
        }
    }

    /// From the `LANG` environment variable.
    pub fn from_env() -> Lang {
        Lang::from_env_value(std::env::var("LANG").ok().as_deref())
    }

    /// `ko` or `en`, whichever is this language.
    pub fn pick<'a>(self, ko: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Ko => ko,
            Lang::En => en,
        }
    }

    /// A catalogue text in this language.
    pub fn text(self, text: Text) -> &'static str {
        self.pick(text.ko, text.en)
    }
}
