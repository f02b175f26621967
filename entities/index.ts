import { Background, Character } from "./character.entity";
import { EmailToken, OutboxEmail, PreverifiedEmail } from "./email.entity";
import { DmReadMarker, Message } from "./message.entity";
import { RefreshToken, RevokedToken, Session } from "./session.entity";
import { ExtractedCharacterRow, StoryExtractionJob, StoryGenerationJob } from "./story-job.entity";
import { Story, StoryComment, StoryLike } from "./story.entity";
import { User } from "./user.entity";

export { Background, Character, DmReadMarker, EmailToken, OutboxEmail, PreverifiedEmail, RefreshToken, RevokedToken, Session, User, Message };
export { Story, StoryLike, StoryComment, StoryGenerationJob, StoryExtractionJob, ExtractedCharacterRow };

export const entities = [User, Session, RefreshToken, RevokedToken, EmailToken, PreverifiedEmail, OutboxEmail, Background, Character, Message, DmReadMarker, Story, StoryLike, StoryComment, StoryGenerationJob, StoryExtractionJob, ExtractedCharacterRow];
