//! Which instance is this? Behind a load balancer the reader cannot tell, so every response says
//! it in `X-Instance`, and `/stats` shows it too.

use warp::http::HeaderValue;

/// The response header that names the instance.
pub const HEADER: &str = "x-instance";

/// This instance's name: `INSTANCE`, or its port when `INSTANCE` is not set.
#[derive(Clone, Debug)]
pub struct Instance {
    name: String,
    header: HeaderValue,
}

impl Instance {
    /// The name from `INSTANCE`; `port` when it is not set. A name that cannot be a header
    /// value (a line break, say) stops the program with a message, like any bad setting.
    pub fn from_env(port: u16) -> Instance {
        let name = std::env::var("INSTANCE").unwrap_or_else(|_| port.to_string());
        Instance::named(&name).unwrap_or_else(|why| startup::exit(2, &why))
    }

    /// An instance called `name`: 1 to 64 visible ASCII characters.
    pub fn named(name: &str) -> Result<Instance, String> {
        let visible = name.bytes().all(|b| b.is_ascii_graphic());
        match HeaderValue::from_str(name) {
            Ok(header) if visible && (1..=64).contains(&name.len()) => Ok(Instance {
                name: name.to_owned(),
                header,
            }),
            _ => Err(format!(
                "INSTANCE must be 1 to 64 visible ASCII characters (no spaces), got {name:?}"
            )),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The name as the value of [`HEADER`].
    pub fn header_value(&self) -> HeaderValue {
        self.header.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(
            Instance::named("a").map(|i| i.name().to_owned()),
            Ok("a".into())
        );
        assert!(Instance::named("").is_err());
        assert!(Instance::named("a b").is_err());
        assert!(Instance::named("a\r\nx-evil: 1").is_err());
        assert!(Instance::named(&"x".repeat(65)).is_err());
    }
}
