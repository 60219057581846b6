use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct Service {
    pub name: String,
    pub image: Option<String>,
}

impl Service {
    pub fn image_or_default(&self) -> String {
        // `.expect(` in a comment is not a call
        self.image.clone().unwrap_or_else(|| format!("anops/{}:dev", self.name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_image_uses_the_name() {
        let s = Service { name: "api".into(), image: None };
        assert_eq!(s.image_or_default(), "anops/api:dev");
    }
}
